"""tcp-echo client: connect, send one message, check the echo, close."""

import socket
import sys

host, port = sys.argv[1].rsplit(":", 1)
conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
conn.connect((host, int(port)))
msg = b"hello, kernel"
conn.sendall(msg)
reply = b""
while len(reply) < len(msg):
    chunk = conn.recv(len(msg) - len(reply))
    if not chunk:
        break
    reply += chunk
if reply != msg:
    sys.exit(f"echo mismatch: sent {msg!r}, got {reply!r}")
conn.close()
