strace -f -ttt -T -yy -k -s 96 -o go_http_server_k.strace -- ./gosrv/gosrv
