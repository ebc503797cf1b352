strace -f -tt -yy redis-server --bind 127.0.0.1 --port 60481 --save '' --appendonly no > /dev/null 2> redis_server_stderr.strace
