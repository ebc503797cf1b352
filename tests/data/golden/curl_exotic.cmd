strace -f -Y -n -i -X verbose -v -xx -e trace=%network -e write=all -e read=all -e inject=setsockopt:retval=0:when=2 -o curl_exotic.strace -- curl -s -o /dev/null http://127.0.0.1:57677/
