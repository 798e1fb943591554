#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""bench/gateway.sh's apimd side: `gateway-driver.py PORT BACKEND_HOST
BACKEND_PORT WORKERS`, PORT = 8280 + a port offset whose next offset is
free too.  Starts a Key Manager apimd (on that next offset) with one application
whose token is $AM_BENCH_TOKEN, subscribed to BenchAPI (context
/bench/1.0.0, GET /*), and a gateway-worker apimd whose http pass-through
port is PORT, with BenchAPI's production endpoint at the backend; warms the
token cache, then waits for SIGTERM and stops both.  With
$AM_BENCH_EXTRA_APIS=N, N more APIs (other contexts) are deployed next to
BenchAPI, to show that routing does not slow down with the API count.
Uses the integration tests' helpers (tests/integration)."""

import os
import shutil
import signal
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))

from conftest import REPO, ApimdProcess  # noqa: E402
from test_gateway import api_xml, deploy, gateway_home  # noqa: E402
from test_thrift import start_km  # noqa: E402
from wso2rows import Resource, Seed  # noqa: E402


class Fixed:
    """The nginx backend: every endpoint is its root."""

    def __init__(self, host, port):
        self.host, self.port = host, port

    def url(self, path=""):
        return f"http://{self.host}:{self.port}/"


def main():
    port, be_host, be_port, workers = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    offset = int(port) - 8280
    tmp = Path(tempfile.mkdtemp(prefix="apimd-bench-"))
    seed = Seed(app_name="BenchApp", api_name="BenchAPI", context_template="/bench",
                resources=[Resource("/*", "GET")], token=os.environ["AM_BENCH_TOKEN"])
    km = start_km(REPO / "apimd", tmp / "km", seeds=[seed], offset=offset + 1)
    home = gateway_home(tmp / "gw", km, offset=offset)
    home.replace("repository/conf/api-manager.xml", "<DataPlane>",
                 f"<DataPlane><Workers>{workers}</Workers>")
    text = api_xml(Fixed(be_host, be_port), name="BenchAPI", context="/bench")
    deploy(home, text.replace('url-mapping="/menu"', 'url-mapping="/*"'), "admin--BenchAPI_v1.0.0.xml")
    for i in range(int(os.environ.get("AM_BENCH_EXTRA_APIS", "0"))):
        deploy(home, api_xml(Fixed(be_host, be_port), name=f"Extra{i}", context=f"/extra{i}"),
               f"admin--Extra{i}_v1.0.0.xml")
    gw = ApimdProcess(REPO / "apimd", home, offset=offset).start()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/bench/1.0.0/1k",
                                 headers={"Authorization": f"Bearer {seed.token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    while not stop:
        time.sleep(0.2)
    gw.stop()
    km.stop()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
