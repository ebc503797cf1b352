"""unix-echo client: connect to the server's path, send one message, check the
echo, close."""

import socket
import sys

conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
conn.connect(sys.argv[1])
msg = b"hello, kernel"
conn.sendall(msg)
# A stream socket may hand the echo back in pieces: read until it is all here.
reply = b""
while len(reply) < len(msg):
    chunk = conn.recv(len(msg) - len(reply))
    if not chunk:
        break
    reply += chunk
if reply != msg:
    sys.exit(f"echo mismatch: sent {msg!r}, got {reply!r}")
conn.close()
