"""backlog client: open 6 connections to a server that never accepts, each
allowed half a second, keep the ones that complete, and report how each
attempt ended."""

import socket
import sys

ATTEMPTS = 6
# Shorter than TCP's first SYN retransmission (1 s): a connection the kernel
# drops has sent exactly one SYN when the client gives up.
TIMEOUT = 0.5

host, port = sys.argv[1].rsplit(":", 1)
kept = []
completed = timed_out = refused = 0
for attempt in range(1, ATTEMPTS + 1):
    try:
        # The timeout makes the socket non-blocking inside Python: connect()
        # returns EINPROGRESS and Python waits for the handshake in poll().
        conn = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    except TimeoutError:
        timed_out += 1
        print(f"attempt {attempt}: timed out after {TIMEOUT:g} s")
    except ConnectionRefusedError:
        refused += 1
        print(f"attempt {attempt}: refused")
    else:
        # The handshake finished: the kernel queued the connection for an
        # accept that never comes. Keep it open so it stays queued.
        completed += 1
        kept.append(conn)
        print(f"attempt {attempt}: completed")
for conn in kept:
    conn.close()
print(f"completed {completed} timed_out {timed_out} refused {refused}")
