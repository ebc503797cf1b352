head -c 3000 curl.strace  (curl.strace as captured above, cut mid-line)
