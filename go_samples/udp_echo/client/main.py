"""udp-echo client: send one datagram, check the echo, close."""

import socket
import sys

host, port = sys.argv[1].rsplit(":", 1)
server = (host, int(port))
# No connect() here: sendto() names the peer on each datagram, and the kernel
# binds the socket to a free port on the first one.
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
msg = b"hello, kernel"
sock.sendto(msg, server)
# One recvfrom() returns one whole datagram. An unconnected socket accepts
# datagrams from anyone, so check who answered.
reply, peer = sock.recvfrom(1024)
if peer != server:
    sys.exit(f"reply from {peer}, expected {server}")
if reply != msg:
    sys.exit(f"echo mismatch: sent {msg!r}, got {reply!r}")
sock.close()
