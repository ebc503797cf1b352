strace -ttt -T -y -s 96 -o wget.strace -- wget -q -O /dev/null http://127.0.0.1:57677/index.html
