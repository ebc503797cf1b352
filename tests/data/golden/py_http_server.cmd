strace -f -ttt -T -yy -s 128 -o py_http_server.strace -- /usr/bin/python3 -m http.server --bind 127.0.0.1 --directory www 57677
