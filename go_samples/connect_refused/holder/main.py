"""connect-refused holder: own a loopback port without listening on it, so that
connections to it are refused, and keep it until stdin closes.

A bound socket that never called listen() has no accept queue: the kernel
answers a SYN to its port with a reset, and the port stays ours, so no other
program can start listening there while the client tries it.
"""

import socket
import sys

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.bind(("127.0.0.1", 0))  # port 0: the kernel picks a free one
# The runner waits for this line before it starts the client.
host, port = sock.getsockname()
print("ready", f"{host}:{port}", flush=True)

# Hold the port until the runner closes our stdin (the client is done).
sys.stdin.read()
sock.close()
