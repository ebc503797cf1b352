strace -f -ttt -T -yy -s 96 -o go_http_server.strace -- ./gosrv/gosrv
