"""connect-refused client: connect where nothing listens, twice, and report the
refusals. Exits 0 when every attempt was refused, as it should be."""

import socket
import sys

ATTEMPTS = 2

host, port = sys.argv[1].rsplit(":", 1)
refused = 0
for attempt in range(1, ATTEMPTS + 1):
    # A new socket for each try, closed after it: once connect() has failed,
    # a socket's state is unspecified and it must not be reused. Real code
    # would also wait between tries.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.connect((host, int(port)))
    except ConnectionRefusedError as exc:
        print(f"attempt {attempt}: {exc}")
        refused += 1
    else:
        sys.exit(f"attempt {attempt}: connected to {sys.argv[1]}, where nothing should listen")
    finally:
        sock.close()
print(f"refused {refused} of {ATTEMPTS}")
