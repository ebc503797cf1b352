"""unix-echo server: a stream socket on a filesystem path; accept one client,
echo what it reads, close, and say whether the path outlived the socket."""

import contextlib
import os
import socket
import sys

# bind() creates this file and connect() finds the listener by it.
path = sys.argv[1]
# close() leaves the file behind (below), and bind() fails with EADDRINUSE on
# a file left by an earlier run: remove it first, if it is there.
with contextlib.suppress(FileNotFoundError):
    os.unlink(path)

srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen()
# The runner waits for this line before it starts the client.
print("ready", path, flush=True)

conn, _ = srv.accept()
data = conn.recv(1024)
conn.sendall(data)
conn.close()
# Closing the socket does not remove its file; it is left here on purpose, to
# show it (and it is why the next run has to remove it before bind()).
srv.close()
print("after close:", path, "is still there" if os.path.exists(path) else "is gone")
