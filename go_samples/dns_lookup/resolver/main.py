"""dns-lookup resolver: look "localhost" up with getaddrinfo and print the
addresses. Python hands the lookup to the C library's getaddrinfo(3), which
follows /etc/nsswitch.conf ("hosts: files dns") and reads /etc/hosts."""

import socket

infos = socket.getaddrinfo("localhost", None)
# getaddrinfo answers once per socket type (stream, datagram, raw) for each
# address: keep each address once, in the order given.
addrs = list(dict.fromkeys(sockaddr[0] for *_, sockaddr in infos))
if not addrs:
    raise SystemExit("localhost resolved to no address")
print("localhost", *addrs)
