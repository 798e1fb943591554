#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The whole gateway in the data path: bench/http-proxy.sh with apimd as a
# Key Manager (default profile, one seeded application) and a gateway-worker
# apimd in front of the nginx backend, called with a valid token that the
# gateway token cache holds (bench/gateway-driver.py sets them up).  One
# line per case: backend direct, nginx proxy_pass (keep-alive upstream),
# the apimd gateway, with req/s, p99 and the ratio to nginx.  Needs nginx,
# wrk and a built ./apimd.
#
#   sh bench/gateway.sh [DURATION_S] [GATEWAY_WORKERS]
#   AM_BENCH_PATHS="/1k /100k" sh bench/gateway.sh ...   # also 100 KiB bodies
#   AM_BENCH_EXTRA_APIS=999 sh bench/gateway.sh ...      # 1,000 deployed APIs
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$top/apimd" ] || { echo "build apimd first: make" >&2; exit 1; }
# the gateway's port offset, and the next one for the Key Manager
offset=$(cd "$top/tests/integration" &&
	/usr/bin/python3 -c 'from conftest import free_offset; print(free_offset(2))')
AM_BENCH_PORT=$((8280 + offset))
AM_BENCH_TOKEN=$(/usr/bin/python3 -c 'import uuid; print(uuid.uuid4())')
AM_BENCH_DRIVER="$top/bench/gateway-driver.py"
AM_BENCH_PREFIX=/bench/1.0.0
AM_BENCH_HEADER="Authorization: Bearer $AM_BENCH_TOKEN"
AM_BENCH_PATHS=${AM_BENCH_PATHS:-/1k}
export AM_BENCH_PORT AM_BENCH_TOKEN AM_BENCH_DRIVER AM_BENCH_PREFIX AM_BENCH_HEADER AM_BENCH_PATHS
exec sh "$top/bench/http-proxy.sh" "$@"
