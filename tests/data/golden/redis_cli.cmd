strace -f -tt -T -yy -o redis_cli.strace -- redis-cli -p 46189 set golden yes
