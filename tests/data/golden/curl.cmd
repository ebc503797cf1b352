strace -f -tt -T -yy -s 128 -o curl.strace -- curl -s -o /dev/null http://127.0.0.1:57677/index.html
