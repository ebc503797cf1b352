strace -f -tt -T -yy -o nc_unix_client.strace -- sh -c echo\ hello\ \|\ nc\ -N\ -U\ $WORK/nc.sock
