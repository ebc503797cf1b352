"""http-get client: GET / with http.client, check the answer, close."""

import http.client
import sys

host, port = sys.argv[1].rsplit(":", 1)
conn = http.client.HTTPConnection(host, int(port))
conn.request("GET", "/")
resp = conn.getresponse()
body = resp.read()
if resp.status != 200 or body != b"hello, kernel\n":
    sys.exit(f"unexpected answer: {resp.status} {resp.reason} {body!r}")
conn.close()
