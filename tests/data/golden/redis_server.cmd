strace -f --timestamps=unix\,ns --syscall-times=ns -yy -s 64 -o redis_server.strace -- redis-server --bind 127.0.0.1 --port 46189 --save '' --appendonly no --daemonize no --loglevel warning
