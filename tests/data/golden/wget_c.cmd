strace -c -o wget_c.strace -- wget -q -O /dev/null http://127.0.0.1:57677/
