"""backlog server: listen with a backlog of 2, never accept, and hold the
socket open until stdin closes, so that the accept queue fills up."""

import socket
import sys

BACKLOG = 2

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(("127.0.0.1", 0))
srv.listen(BACKLOG)
# The runner waits for this line before it starts the client.
host, port = srv.getsockname()
print("ready", f"{host}:{port}", flush=True)

# Never accept: completed connections stay in the kernel's accept queue. The
# runner closes stdin once the client is done.
sys.stdin.read()
srv.close()
