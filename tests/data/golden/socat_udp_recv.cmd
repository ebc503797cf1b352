strace -f -tt -T -yy -o socat_udp_recv.strace -- socat -u UDP4-RECVFROM:56117\,bind=127.0.0.1 STDOUT
