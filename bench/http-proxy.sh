#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Reverse-proxy throughput: the apimd HTTP engine (bench/http-proxy) next to
# nginx proxy_pass with upstream keep-alive, both in front of the same nginx
# backend serving 1 KiB and 100 KiB files, and the backend alone.  One wrk
# run per case, 64 keep-alive connections; one line per case with req/s,
# p99 latency and the ratio to nginx.  Needs nginx and wrk (apt-get install
# nginx wrk) and `make bench/http-proxy`.
#
#   sh bench/http-proxy.sh [DURATION_S] [PROXY_WORKERS]
#
# For other apimd front ends (bench/gateway.sh): AM_BENCH_DRIVER is started
# as `driver PORT BACKEND_HOST BACKEND_PORT WORKERS` and killed at the end;
# AM_BENCH_PREFIX is put before the path and AM_BENCH_HEADER sent as a
# header on the apimd runs only; AM_BENCH_PATHS picks the files;
# AM_BENCH_PORT is the driver's port (default: a free one).
# AM_BENCH_CONNECTIONS: wrk connections (64).
set -eu

dur=${1:-10}
workers=${2:-1}
conns=${AM_BENCH_CONNECTIONS:-64}
top=$(cd "$(dirname "$0")/.." && pwd)
driver=${AM_BENCH_DRIVER:-$top/bench/http-proxy}
for tool in nginx wrk; do
	command -v $tool >/dev/null 2>&1 || [ -x /usr/sbin/$tool ] ||
		{ echo "$tool is needed (apt-get install $tool)" >&2; exit 1; }
done
[ -x "$driver" ] || { echo "build the driver first: make bench/http-proxy" >&2; exit 1; }
nginx=$(command -v nginx || echo /usr/sbin/nginx)

tmp=$(mktemp -d)
chmod 755 "$tmp" # nginx started as root reads the files as its worker user
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	[ -f "$tmp/backend.pid" ] && kill "$(cat "$tmp/backend.pid")" 2>/dev/null || true
	[ -f "$tmp/proxy.pid" ] && kill "$(cat "$tmp/proxy.pid")" 2>/dev/null || true
	sleep 0.3
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
be=$(free_port); ng=$(free_port); am=${AM_BENCH_PORT:-$(free_port)}
mkdir -p "$tmp/www"
head -c 1024 /dev/zero | tr '\0' a > "$tmp/www/1k"
head -c 102400 /dev/zero | tr '\0' b > "$tmp/www/100k"

nginx_conf() { # name workers body
	cat > "$tmp/$1.conf" <<CONF
worker_processes $2;
pid $tmp/$1.pid;
error_log $tmp/$1.err warn;
daemon on;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $tmp/$1-body;
	proxy_temp_path $tmp/$1-proxy;
	fastcgi_temp_path $tmp/$1-fcgi;
	uwsgi_temp_path $tmp/$1-uwsgi;
	scgi_temp_path $tmp/$1-scgi;
	keepalive_requests 1000000;
	$3
}
CONF
	"$nginx" -c "$tmp/$1.conf" -p "$tmp"
}
nginx_conf backend 1 "server { listen 127.0.0.1:$be; root $tmp/www; }"
nginx_conf proxy "$workers" "upstream be { server 127.0.0.1:$be; keepalive 64; }
	server { listen 127.0.0.1:$ng; location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection \"\"; } }"
"$driver" "$am" 127.0.0.1 "$be" "$workers" &
pids="$pids $!"
i=0
until /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $am), 0.2)" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 600 ] || { echo "the apimd driver does not listen on $am" >&2; exit 1; }
	sleep 0.1
done

run() { # label port path [wrk args]
	label=$1 port=$2 path=$3
	shift 3
	out=$(wrk -t2 -c"$conns" -d"${dur}s" --latency "$@" "http://127.0.0.1:$port$path" 2>&1)
	rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
	p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
	bad=$(echo "$out" | awk '/Non-2xx or 3xx responses/ {print $NF}')
	[ -z "$bad" ] || echo "$label $path: $bad responses were not 2xx/3xx" >&2
	echo "$label $rps $p99"
}

echo "# $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), wrk -t2 -c$conns -d${dur}s, proxies with $workers worker(s)"
for path in ${AM_BENCH_PATHS:-/1k /100k}; do
	rb=$(run backend "$be" $path)
	rn=$(run nginx "$ng" $path)
	ra=$(run apimd "$am" "${AM_BENCH_PREFIX:-}$path" ${AM_BENCH_HEADER:+-H "$AM_BENCH_HEADER"})
	nrps=$(echo "$rn" | cut -d' ' -f2)
	for r in "$rb" "$rn" "$ra"; do
		set -- $r
		printf '%-8s %-6s %12s req/s  p99 %-9s  x%s of nginx\n' "$1" "$path" "$2" "$3" \
			"$(awk -v a="$2" -v b="$nrps" 'BEGIN { printf "%.2f", a / b }')"
	done
done
