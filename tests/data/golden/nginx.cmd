strace -f -r -T -yy -s 96 -o nginx.strace -- nginx -p $WORK/ng -c $WORK/ng/nginx.conf -g daemon\ off\;
