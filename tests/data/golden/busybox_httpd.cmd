strace -f -tt -T -yy -o busybox_httpd.strace -- busybox httpd -f -p 127.0.0.1:52175 -h www
