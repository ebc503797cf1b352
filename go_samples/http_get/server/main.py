"""http-get server: serve one GET with http.server, then shut down."""

from http.server import BaseHTTPRequestHandler, HTTPServer


class Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello, kernel\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


# Port 0: the kernel picks a free one; HTTPServer binds and listens at once.
server = HTTPServer(("127.0.0.1", 0), Hello)
# The runner waits for this line before it starts the client.
host, port = server.server_address[:2]
print("ready", f"{host}:{port}", flush=True)

# One request only: handle_request() accepts a connection, serves it and
# closes it (HTTP/1.0 by default, so no keep-alive).
server.handle_request()
server.server_close()
