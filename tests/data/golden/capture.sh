#!/bin/bash
# Re-capture the golden strace logs of real programs (none of them written for
# tracer) into this directory: NAME.strace(.gz) beside NAME.cmd, the exact
# strace command that made it. Debian 12: apt-get install strace curl wget
# nginx-light redis-server socat netcat-openbsd busybox; Go for the net/http
# server (GO=/path/to/go). Traffic goes to 127.0.0.1 only; every run is bounded
# by `timeout`. Pids, ports and times differ from run to run, so re-capturing
# is safe: tests/test_parser.py reads ports and paths from the .cmd files.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/tracer-golden.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
GO=${GO:-go}
cd "$WORK"

freeport() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
waitport() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
# run NAME STRACE-ARGS... -- PROGRAM...: trace into NAME.strace, keep the command in NAME.cmd
run() {
    local name=$1; shift
    { printf 'strace'; printf ' %q' "$@"; echo; } | sed "s#$WORK#\$WORK#g; s#$HERE/##g" > "$HERE/$name.cmd"
    timeout 30 strace "$@" || true
}
keep() {  # keep NAME: move the log in, gzip it when it is big
    local name=$1 file="$WORK/$1.strace"
    if [ "$(stat -c %s "$file")" -gt 60000 ]; then gzip -9n -c "$file" > "$HERE/$name.strace.gz"; rm -f "$HERE/$name.strace"
    else cp "$file" "$HERE/$name.strace"; rm -f "$HERE/$name.strace.gz"; fi
}

# -- a Python http.server, and curl and wget fetching from it ------------------------
mkdir www && echo "hello from the golden files" > www/index.html && chmod 755 "$WORK" www  # nginx workers run as www-data
PY_PORT=$(freeport)
run py_http_server -f -ttt -T -yy -s 128 -o py_http_server.strace -- \
    /usr/bin/python3 -m http.server --bind 127.0.0.1 --directory www "$PY_PORT" > /dev/null 2>&1 &
waitport "$PY_PORT"
run curl -f -tt -T -yy -s 128 -o curl.strace -- curl -s -o /dev/null "http://127.0.0.1:$PY_PORT/index.html"
run wget -ttt -T -y -s 96 -o wget.strace -- wget -q -O /dev/null "http://127.0.0.1:$PY_PORT/index.html"
# curl with strace's rarer output: -Y comm names, -n numbers, -i pointers, -X verbose,
# -v, -xx hex strings, hex dumps of what it sends and receives, an injected setsockopt
run curl_exotic -f -Y -n -i -X verbose -v -xx -e trace=%network -e write=all -e read=all \
    -e inject=setsockopt:retval=0:when=2 -o curl_exotic.strace -- curl -s -o /dev/null "http://127.0.0.1:$PY_PORT/"
# a -c table alone, and -C (the trace, then the table)
run wget_c -c -o wget_c.strace -- wget -q -O /dev/null "http://127.0.0.1:$PY_PORT/"
run curl_C -C -tt -o curl_C.strace -- curl -s -o /dev/null "http://127.0.0.1:$PY_PORT/"
wait %1 2>/dev/null || true  # timeout 30 stops it: "+++ killed by SIGTERM +++"

# -- nginx, fetched twice by curl, stopped with SIGQUIT --------------------------------
NG_PORT=$(freeport)
mkdir -p ng/logs && cat > ng/nginx.conf <<EOF
worker_processes 1; error_log stderr; pid $WORK/ng/nginx.pid;
events { worker_connections 64; }
http { access_log off; client_body_temp_path $WORK/ng; proxy_temp_path $WORK/ng;
  fastcgi_temp_path $WORK/ng; uwsgi_temp_path $WORK/ng; scgi_temp_path $WORK/ng;
  server { listen 127.0.0.1:$NG_PORT; root $WORK/www; } }
EOF
run nginx -f -r -T -yy -s 96 -o nginx.strace -- nginx -p "$WORK/ng" -c "$WORK/ng/nginx.conf" -g 'daemon off;' &
waitport "$NG_PORT"
curl -s -o /dev/null "http://127.0.0.1:$NG_PORT/" && curl -s -o /dev/null "http://127.0.0.1:$NG_PORT/nope"
kill -QUIT "$(cat ng/nginx.pid)"; wait %1 || true

# -- busybox httpd, one request, killed by SIGTERM ------------------------------------
BB_PORT=$(freeport)
run busybox_httpd -f -tt -T -yy -o busybox_httpd.strace -- busybox httpd -f -p "127.0.0.1:$BB_PORT" -h www &
waitport "$BB_PORT"
curl -s -o /dev/null "http://127.0.0.1:$BB_PORT/index.html"
sleep 0.2; pkill -TERM -P "$!" -x busybox 2>/dev/null || kill -TERM "$!"; wait %1 || true

# -- redis-server with nanosecond times and durations, redis-cli as its client --------
RD_PORT=$(freeport)
run redis_server -f --timestamps=unix,ns --syscall-times=ns -yy -s 64 -o redis_server.strace -- \
    redis-server --bind 127.0.0.1 --port "$RD_PORT" --save '' --appendonly no --daemonize no --loglevel warning &
waitport "$RD_PORT"
run redis_cli -f -tt -T -yy -o redis_cli.strace -- redis-cli -p "$RD_PORT" set golden yes
redis-cli -p "$RD_PORT" get golden > /dev/null
redis-cli -p "$RD_PORT" shutdown nosave > /dev/null || true; wait %1 || true
# strace -f writing to stderr: [pid N] prefixes, and strace's "Process N attached"
# notes, some written into the middle of a call line (redis starts its threads)
RD_PORT=$(freeport)
echo "strace -f -tt -yy redis-server --bind 127.0.0.1 --port $RD_PORT --save '' --appendonly no > /dev/null 2> redis_server_stderr.strace" > "$HERE/redis_server_stderr.cmd"
timeout 30 strace -f -tt -yy redis-server --bind 127.0.0.1 --port "$RD_PORT" --save '' --appendonly no \
    > /dev/null 2> redis_server_stderr.strace &
waitport "$RD_PORT"
redis-cli -p "$RD_PORT" ping > /dev/null; redis-cli -p "$RD_PORT" shutdown nosave > /dev/null || true; wait %1 || true

# -- UDP with socat: a receiver of one datagram and its sender -------------------------
UDP_PORT=$(freeport)
run socat_udp_recv -f -tt -T -yy -o socat_udp_recv.strace -- socat -u "UDP4-RECVFROM:$UDP_PORT,bind=127.0.0.1" STDOUT > /dev/null &
sleep 0.5
run socat_udp_send -f -tt -T -yy -o socat_udp_send.strace -- sh -c "echo hello | socat -u - UDP4-SENDTO:127.0.0.1:$UDP_PORT"
wait %1 || true

# -- unix sockets with netcat-openbsd --------------------------------------------------
run nc_unix_server -f -tt -T -yy -o nc_unix_server.strace -- timeout 5 nc -lU "$WORK/nc.sock" > /dev/null &
for _ in $(seq 100); do [ -S "$WORK/nc.sock" ] && break; sleep 0.05; done
run nc_unix_client -f -tt -T -yy -o nc_unix_client.strace -- sh -c "echo hello | nc -N -U $WORK/nc.sock"
wait %1 || true

# -- sleep stopped and continued: restart_syscall --------------------------------------
run sleep_restart -tt -o sleep_restart.strace -- sleep 1.5 &
sleep 0.5; kill -STOP "$(pgrep -x sleep | tail -1)"; sleep 0.3; kill -CONT "$(pgrep -x sleep | tail -1)"; wait %1 || true

# -- a Go net/http server, without and with -k -----------------------------------------
mkdir gosrv && cat > gosrv/main.go <<'EOF'
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println(ln.Addr().String())
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
		if r.URL.Path == "/quit" {
			go os.Exit(0)
		}
	})
	http.Serve(ln, nil)
}
EOF
(cd gosrv && printf 'module example.com/gosrv\n\ngo 1.22\n' > go.mod && GOFLAGS=-mod=mod "$GO" build -o gosrv .)
for k in "" "-k"; do
    name=go_http_server${k:+_k}
    run "$name" -f -ttt -T -yy $k -s 96 -o "$name.strace" -- ./gosrv/gosrv > addr &
    for _ in $(seq 100); do [ -s addr ] && break; sleep 0.05; done
    curl -s -o /dev/null "http://$(head -1 addr)/hello"; curl -s -o /dev/null "http://$(head -1 addr)/quit" || true
    wait %1 || true; rm -f addr
done

for name in py_http_server curl wget curl_exotic redis_server_stderr wget_c curl_C nginx busybox_httpd redis_server redis_cli \
    socat_udp_recv socat_udp_send nc_unix_server nc_unix_client sleep_restart go_http_server go_http_server_k; do
    keep "$name"
done
# a log cut in the middle of a line, as when strace is killed while writing
head -c 3000 "$WORK/curl.strace" > "$HERE/curl_cut.strace"
echo "head -c 3000 curl.strace  (curl.strace as captured above, cut mid-line)" > "$HERE/curl_cut.cmd"
ls -la "$HERE"
