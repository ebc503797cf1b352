strace -f -tt -T -yy -o socat_udp_send.strace -- sh -c echo\ hello\ \|\ socat\ -u\ -\ UDP4-SENDTO:127.0.0.1:56117
