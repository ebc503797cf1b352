"""tcp-echo server: accept one connection, echo what it reads, close."""

import socket

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(("127.0.0.1", 0))
srv.listen()
# The runner waits for this line before it starts the client.
host, port = srv.getsockname()
print("ready", f"{host}:{port}", flush=True)

conn, peer = srv.accept()
data = conn.recv(1024)
conn.sendall(data)
conn.close()
srv.close()
