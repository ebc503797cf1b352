strace -C -tt -o curl_C.strace -- curl -s -o /dev/null http://127.0.0.1:57677/
