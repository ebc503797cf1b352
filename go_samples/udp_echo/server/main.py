"""udp-echo server: receive one datagram, send it back to whoever sent it, close."""

import socket

# A datagram socket is only bound: no listen(), no accept(); this one socket
# receives from every peer.
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 0))
# The runner waits for this line before it starts the client.
host, port = sock.getsockname()
print("ready", f"{host}:{port}", flush=True)

# Each datagram arrives whole, with the address it came from: the reply goes
# back to that address.
data, peer = sock.recvfrom(1024)
sock.sendto(data, peer)
sock.close()
