strace -f -tt -T -yy -o nc_unix_server.strace -- timeout 5 nc -lU $WORK/nc.sock
