# SPDX-License-Identifier: Apache-2.0
"""The gateway module end to end: a Key Manager apimd (default profile,
seeded with wso2rows, JWT generation on) and a separate gateway apimd
(-Dprofile=gateway-worker) whose APIKeyValidator points at it, an API file
in WSO2's form in the gateway's synapse-configs/default/api, and a loopback
Python backend that records what it was sent.

What this proves:

* a valid token reaches the backend at endpoint path + sub-path, with
  X-Forwarded-For, the Key Manager's X-JWT-Assertion, no Authorization and
  an activityid; over ThriftClient and WSClient; the access log line has
  the request id, API and application and never the token; /metrics counts;
* missing / invalid token: 401 ams:fault 900902 / 900901 (JSON on
  Accept: application/json); unknown API / resource: 404; wrong verb: 405;
  a None resource needs no token; CORS preflight is answered;
* a production gateway refuses a SANDBOX key (and a sandbox gateway a
  PRODUCTION key) with WSO2's <error><message> 401; a hybrid gateway sends
  each to its own endpoint;
* revocation at the Key Manager reaches the gateway's
  APIAuthenticationService: the next call is refused;
* hot deployment: a new API file serves within the poll interval; a
  corrupt file next to a good one leaves the good one serving;
* a failover endpoint answers when the primary backend is down;
* the Key Manager stopped: 500 ams:fault 900900; started again: recovers.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import REPO, ApimdProcess, free_offset, free_tcp_port, http_session, make_carbon_home, ports_for
from test_thrift import AM_DB, APIM_XML, start_km
import wso2rows
from wso2rows import Resource, Seed

RESOURCES = [Resource("/menu", "GET"), Resource("/order/{orderId}", "GET"),
             Resource("/public", "GET", auth="None")]
OK = Seed(app_name="GwOkApp", resources=RESOURCES)
SANDBOX = Seed(app_name="GwSandboxApp", key_type="SANDBOX", resources=RESOURCES)
SEEDS = (OK, SANDBOX)
AUTH_NS = "http://wso2.org/apimanager/security"


# ----- the backend ------------------------------------------------------------


class Backend:
    """A loopback HTTP/1.1 server answering every request with a JSON echo
    of its path and headers, and remembering the requests."""

    def __init__(self, name="backend"):
        self.name = name
        self.closed = False
        self.seen: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if outer.closed:  # a pooled connection to a stopped backend
                    self.close_connection = True
                    return
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
                rec = {"backend": outer.name, "method": self.command, "path": self.path,
                       "headers": {k.lower(): v for k, v in self.headers.items()}}
                outer.seen.append(rec)
                body = json.dumps(rec).encode()
                self.send_response(200)
                if "own-cors" in self.path:  # a backend with its own CORS answer
                    self.send_header("Access-Control-Allow-Origin", "https://backend.example")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_PUT = do_DELETE = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path=""):
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        self.closed = True
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def backend():
    b = Backend()
    yield b
    b.close()


# ----- API files in WSO2's form -------------------------------------------------


def endpoint_xml(name, url):
    return (f'<endpoint name="{name}"><http uri-template="{url}"><timeout><duration>30000</duration>'
            '<responseAction>fault</responseAction></timeout><suspendOnFailure>'
            '<progressionFactor>1.0</progressionFactor></suspendOnFailure><markForSuspension>'
            '<retriesBeforeSuspension>0</retriesBeforeSuspension><retryDelay>0</retryDelay>'
            f'</markForSuspension></http><property name="ENDPOINT_ADDRESS" value="{url}"/></endpoint>')


def failover_xml(name, urls):
    kids = "".join(endpoint_xml(f"{name}_{i}", u) for i, u in enumerate(urls))
    return f'<endpoint name="{name}"><failover>{kids}</failover></endpoint>'


def resource_xml(api, i, methods, mapping, prod, sandbox):
    attr = "uri-template" if "{" in mapping else "url-mapping"
    return (f'<resource methods="{methods}" {attr}="{mapping}" faultSequence="fault"><inSequence>'
            '<property name="api.ut.backendRequestTime" expression="get-property(\'SYSTEM_TIME\')"/>'
            '<filter source="$ctx:AM_KEY_TYPE" regex="PRODUCTION">'
            f'<then><send>{prod(f"{api}_APIproductionEndpoint_{i}")}</send></then>'
            f'<else><send>{sandbox(f"{api}_APIsandboxEndpoint_{i}")}</send></else>'
            '</filter></inSequence><outSequence><class name="org.wso2.carbon.apimgt.gateway.handlers.'
            'analytics.APIMgtResponseHandler"/><send/></outSequence></resource>')


def api_xml(backend, name="PizzaShackAPI", context="/pizzashack", version="1.0.0", prod_urls=None,
            methods="GET", transports=""):
    """A 2.1 Publisher's API file: GET /menu, GET /order/{orderId}, GET
    /public (@methods); production at <backend>/api/ (or a failover group of
    @prod_urls), sandbox at <backend>/sandbox/."""
    api = f"admin--{name}"
    if prod_urls:
        prod = lambda n: failover_xml(n, prod_urls)  # noqa: E731
    else:
        prod = lambda n: endpoint_xml(n, backend.url("/api/"))  # noqa: E731
    sandbox = lambda n: endpoint_xml(n, backend.url("/sandbox/"))  # noqa: E731
    resources = "".join(resource_xml(api, i, methods, m, prod, sandbox)
                        for i, m in enumerate(("/menu", "/order/{orderId}", "/public")))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<api xmlns="http://ws.apache.org/ns/synapse" name="{api}" context="{context}/{version}"'
        f' version="{version}" version-type="context" transports="{transports}">{resources}<handlers>'
        '<handler class="org.wso2.carbon.apimgt.gateway.handlers.common.APIMgtLatencyStatsHandler"/>'
        '<handler class="org.wso2.carbon.apimgt.gateway.handlers.security.CORSRequestHandler">'
        '<property name="apiImplementationType" value="ENDPOINT"/></handler>'
        '<handler class="org.wso2.carbon.apimgt.gateway.handlers.security.APIAuthenticationHandler"/>'
        '<handler class="org.wso2.carbon.apimgt.gateway.handlers.analytics.APIMgtUsageHandler"/>'
        '</handlers></api>\n')


API_DIR = "repository/deployment/server/synapse-configs/default/api"


def deploy(home, text, file_name="admin--PizzaShackAPI_v1.0.0.xml"):
    """Write an API file atomically, as the gateway manager does."""
    target = home / API_DIR / file_name
    tmp = target.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.rename(target)


# ----- processes ------------------------------------------------------------------


def _set_in_block(block, element, value):
    """An edit of api-manager.xml: <element> inside <block> set to value
    (uncommented when it was commented out)."""

    def edit(home):
        path = home / APIM_XML
        text = path.read_text()
        start = text.index(f"<{block}")
        end = text.index(f"</{block}>", start)
        part = text[start:end]
        new, n = re.subn(rf"(?:<!--|<){element}>[^<]*</{element}(?:-->|>)",
                         f"<{element}>{value}</{element}>", part, count=1)
        assert n == 1, f"{element} not found in {block}"
        path.write_text(text[:start] + new + text[end:])

    return edit


def shipped_synapse_configs(home):
    """The synapse-configs a distribution ships (sequences fault, main, ...,
    the token APIs), which the runtime directories of a test home lack."""
    src = REPO / "repository" / "deployment" / "server" / "synapse-configs" / "default"
    shutil.copytree(src, home / "repository/deployment/server/synapse-configs/default",
                    dirs_exist_ok=True)


def gateway_home(tmp_path, km, offset=None, env_type="hybrid", client="ThriftClient", workers=None):
    offset = offset if offset is not None else free_offset()
    data_plane = "<DeploymentPollInterval>500</DeploymentPollInterval>"
    if workers is not None:
        data_plane += f"<Workers>{workers}</Workers>"
    edits = [
        shipped_synapse_configs,
        _set_in_block("APIKeyValidator", "ServerURL",
                      f"https://127.0.0.1:{km.ports['mgt_https']}/services/"),
        _set_in_block("APIKeyValidator", "ThriftClientPort", str(km.ports["thrift"])),
        _set_in_block("APIKeyValidator", "ThriftServerHost", "127.0.0.1"),
        _set_in_block("APIKeyValidator", "KeyValidatorClientType", client),
        (APIM_XML, '<Environment type="hybrid"', f'<Environment type="{env_type}"'),
        (APIM_XML, "<APIGateway>", f"<APIGateway><DataPlane>{data_plane}</DataPlane>"),
    ]
    return make_carbon_home(tmp_path, offset, "gateway-worker", edits)


def start_gateway(apimd_bin, home, backend, api=None):
    deploy(home, api if api is not None else api_xml(backend))
    return ApimdProcess(apimd_bin, home).start()


@pytest.fixture(scope="module")
def gw_offset():
    return free_offset()


@pytest.fixture(scope="module")
def km(apimd_bin, tmp_path_factory, gw_offset):
    # JWT for the backend; revocations go to the gateway's admin services
    edits = [
        (APIM_XML, "<!--EnableJWTGeneration>false</EnableJWTGeneration-->",
         "<EnableJWTGeneration>true</EnableJWTGeneration>"),
        _set_in_block("Environment", "ServerURL",
                      f"https://127.0.0.1:{ports_for(gw_offset)['mgt_https']}/services/"),
    ]
    proc = start_km(apimd_bin, tmp_path_factory.mktemp("gwkm"), edits=edits, seeds=SEEDS)
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def gw(apimd_bin, tmp_path_factory, km, backend, gw_offset):
    home = gateway_home(tmp_path_factory.mktemp("gw"), km, offset=gw_offset)
    proc = start_gateway(apimd_bin, home, backend)
    yield proc
    proc.stop()


def seed(km, **kw) -> Seed:
    """A fresh application and token on the running Key Manager."""
    kw.setdefault("resources", RESOURCES)
    s = Seed(app_name="App" + wso2rows.new_token()[:8], **kw)
    wso2rows.apply_sqlite(km.home / AM_DB, wso2rows.seed_sql(s))
    return s


def call(proc, path, token=None, method="GET", https=False, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    scheme, port = ("https", proc.ports["nio_https"]) if https else ("http", proc.ports["nio_http"])
    with http_session() as s:
        return s.request(method, f"{scheme}://127.0.0.1:{port}{path}", headers=headers, timeout=30)


def auth_code(r):
    m = re.search(r"<ams:code>(\d+)</ams:code>", r.text)
    return int(m.group(1)) if m else None


# ----- tests --------------------------------------------------------------------------


def check_forwarded(gw, backend, token, https=False):
    r = call(gw, "/pizzashack/1.0.0/menu?size=large", token, https=https, **{"X-Forwarded-For": "192.0.2.7"})
    assert r.status_code == 200, r.text
    seen = r.json()
    assert seen["path"] == "/api/menu?size=large"
    h = seen["headers"]
    assert h["x-forwarded-for"] == "192.0.2.7, 127.0.0.1"
    assert "authorization" not in h
    assert h["host"] == f"127.0.0.1:{backend.port}"
    assert h["activityid"]
    # the Key Manager's JWT: header.body.signature, claims of this application
    jwt = h["x-jwt-assertion"]
    body = json.loads(base64.b64decode(jwt.split(".")[1] + "=="))
    assert body["http://wso2.org/claims/applicationname"] == OK.app_name
    assert body["http://wso2.org/claims/keytype"] == "PRODUCTION"
    return h


def test_valid_token_reaches_backend(gw, backend):
    check_forwarded(gw, backend, OK.token)
    check_forwarded(gw, backend, OK.token, https=True)  # now from the token cache
    # uri-template resource: the sub-path is forwarded as is
    r = call(gw, "/pizzashack/1.0.0/order/42", OK.token, **{"User-Agent": 'probe "q" \\x'})
    assert r.status_code == 200 and r.json()["path"] == "/api/order/42"

    log = gw.home / "repository" / "logs" / "http_gw_access.log"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "order/42" not in (log.read_text() if log.exists() else ""):
        time.sleep(0.2)
    text = log.read_text()
    line = [x for x in text.splitlines() if "/order/42" in x][-1]
    assert re.match(r'127\.0\.0\.1 - \S+ \[[^]]+\] "GET /pizzashack/1\.0\.0/order/42 HTTP/1\.1" 200 \d+ ', line)
    assert 'api="admin--PizzaShackAPI:v1.0.0"' in line and f'app="{OK.app_name}"' in line
    assert re.search(r" rid=\S+ ", line) and f"upstream=127.0.0.1:{backend.port}" in line
    assert re.search(r" upstream_ms=\d+\.\d{3} total_ms=\d+\.\d{3}$", line), line
    # quotes and backslashes in logged header values are escaped
    assert ' "-" "probe \\x22q\\x22 \\x5Cx" rid=' in line, line
    assert OK.token not in text and OK.token not in gw.log_text()

    with http_session() as s:
        m = s.get(gw.url("/metrics"), timeout=10)
    assert m.status_code == 200
    n = re.search(r'apimd_gateway_requests_total\{api="admin--PizzaShackAPI:v1.0.0",code="2xx"\} (\d+)',
                  m.text)
    assert n and int(n.group(1)) >= 3, m.text


def test_auth_failures(gw, km):
    r = call(gw, "/pizzashack/1.0.0/menu")
    assert r.status_code == 401 and auth_code(r) == 900902, r.text
    assert AUTH_NS in r.text and r.headers["WWW-Authenticate"].startswith("OAuth2 realm=")
    r = call(gw, "/pizzashack/1.0.0/menu", "not-a-token-the-km-knows")
    assert r.status_code == 401 and auth_code(r) == 900901, r.text
    r = call(gw, "/pizzashack/1.0.0/menu", Accept="application/json")
    assert r.status_code == 401
    assert r.json()["fault"]["code"] == 900902
    # a token of an application not subscribed to the API
    lonely = seed(km, subscribe=False)
    r = call(gw, "/pizzashack/1.0.0/menu", lonely.token)
    assert r.status_code == 403 and auth_code(r) == 900908, r.text


def test_routing_and_none_resource(gw, backend):
    r = call(gw, "/nosuchapi/1.0.0/menu", OK.token)
    assert r.status_code == 404 and "<am:code>404</am:code>" in r.text
    r = call(gw, "/pizzashack/1.0.0/nothing-here", OK.token)
    assert r.status_code == 404 and "No matching resource" in r.text
    r = call(gw, "/pizzashack/1.0.0/menu", OK.token, method="DELETE")
    assert r.status_code == 405 and "Method not allowed" in r.text
    # auth type None: no token needed
    r = call(gw, "/pizzashack/1.0.0/public")
    assert r.status_code == 200 and r.json()["path"] == "/api/public"
    # CORS preflight from api-manager.xml CORSConfiguration
    r = call(gw, "/pizzashack/1.0.0/menu", method="OPTIONS", Origin="https://example.com",
             **{"Access-Control-Request-Method": "GET"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in r.headers["Access-Control-Allow-Methods"]


def test_hybrid_gateway_routes_sandbox_key(gw):
    r = call(gw, "/pizzashack/1.0.0/menu", SANDBOX.token)
    assert r.status_code == 200, r.text
    assert r.json()["path"] == "/sandbox/menu"


@pytest.mark.parametrize("env_type,good,bad,message", [
    ("production", OK, SANDBOX, "Sandbox Key Provided for Production Gateway"),
    ("sandbox", SANDBOX, OK, "Production Key Provided for Sandbox Gateway"),
])
def test_environment_rule(apimd_bin, tmp_path, km, backend, env_type, good, bad, message):
    proc = start_gateway(apimd_bin, gateway_home(tmp_path, km, env_type=env_type), backend)
    try:
        r = call(proc, "/pizzashack/1.0.0/menu", bad.token)
        assert r.status_code == 401, r.text
        assert f"<message>{message}</message>" in r.text
        r = call(proc, "/pizzashack/1.0.0/menu", good.token)
        assert r.status_code == 200, r.text
    finally:
        proc.stop()


def test_ws_client(apimd_bin, tmp_path, km, backend):
    proc = start_gateway(apimd_bin, gateway_home(tmp_path, km, client="WSClient"), backend)
    try:
        check_forwarded(proc, backend, OK.token)
        r = call(proc, "/pizzashack/1.0.0/menu", "not-a-token-the-km-knows")
        assert r.status_code == 401 and auth_code(r) == 900901
    finally:
        proc.stop()


def test_revoke_reaches_gateway(gw, km):
    s = seed(km)
    assert call(gw, "/pizzashack/1.0.0/menu", s.token).status_code == 200
    assert call(gw, "/pizzashack/1.0.0/menu", s.token).status_code == 200  # cached
    pair = base64.b64encode(f"{s.consumer_key}:{s.consumer_secret}".encode()).decode()
    with http_session() as h:
        r = h.post(km.url("/oauth2/revoke", https=True), data={"token": s.token},
                   headers={"Authorization": "Basic " + pair}, timeout=10)
    assert r.status_code == 200, r.text
    # the Key Manager's call to APIAuthenticationService is asynchronous
    deadline = time.monotonic() + 5
    while True:
        r = call(gw, "/pizzashack/1.0.0/menu", s.token)
        if r.status_code != 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert r.status_code == 401 and auth_code(r) == 900901, r.text


def wait_status(proc, path, token, status, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        r = call(proc, path, token)
        if r.status_code == status or time.monotonic() > deadline:
            return r
        time.sleep(0.1)


def test_hot_deploy(gw, km, backend):
    other = Seed(app_name="GwHotApp", api_name="HotAPI", context_template="/hot", resources=RESOURCES)
    wso2rows.apply_sqlite(km.home / AM_DB, wso2rows.seed_sql(other))
    assert call(gw, "/hot/1.0.0/menu", other.token).status_code == 404
    deploy(gw.home, api_xml(backend, name="HotAPI", context="/hot"), "admin--HotAPI_v1.0.0.xml")
    r = wait_status(gw, "/hot/1.0.0/menu", other.token, 200, timeout=3.0)
    assert r.status_code == 200, r.text
    # a corrupt file next to the good ones: they keep serving
    (gw.home / API_DIR / "admin--Broken_v1.0.xml").write_text("<api xmlns=\"http://ws.apache.org/ns/synapse\"")
    time.sleep(1.5)
    assert call(gw, "/hot/1.0.0/menu", other.token).status_code == 200
    assert call(gw, "/pizzashack/1.0.0/menu", OK.token).status_code == 200
    (gw.home / API_DIR / "admin--Broken_v1.0.xml").unlink()


def test_redeploy_under_traffic(gw, km, backend):
    """Update and undeploy another API, and rewrite this one, while requests
    keep flowing: snapshot swaps never fail a request in flight or after."""
    other = Seed(app_name="GwChurnApp", api_name="ChurnAPI", context_template="/churn",
                 resources=RESOURCES)
    wso2rows.apply_sqlite(km.home / AM_DB, wso2rows.seed_sql(other))
    failures, count, stop = [], [0], threading.Event()

    def traffic():
        with http_session() as s:
            url = f"http://127.0.0.1:{gw.ports['nio_http']}/pizzashack/1.0.0/menu"
            while not stop.is_set():
                r = s.get(url, headers={"Authorization": f"Bearer {OK.token}"}, timeout=30)
                count[0] += 1
                if r.status_code != 200:
                    failures.append((r.status_code, r.text[:200]))

    threads = [threading.Thread(target=traffic) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for round_ in range(3):
            deploy(gw.home, api_xml(backend, name="ChurnAPI", context="/churn"), "admin--ChurnAPI_v1.0.0.xml")
            assert wait_status(gw, "/churn/1.0.0/menu", other.token, 200).status_code == 200
            # this API rewritten in place (same content, new file): a swap
            deploy(gw.home, api_xml(backend))
            (gw.home / API_DIR / "admin--ChurnAPI_v1.0.0.xml").unlink()
            assert wait_status(gw, "/churn/1.0.0/menu", other.token, 404).status_code == 404
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert count[0] > 50
    assert failures == []


def test_failover(apimd_bin, tmp_path, km, backend):
    second = Backend("second")
    dead = f"http://127.0.0.1:{free_tcp_port()}/down/"
    # endpoint suspension is the node's: two workers share it
    home = gateway_home(tmp_path, km, workers=2)
    proc = start_gateway(apimd_bin, home, backend,
                         api=api_xml(backend, prod_urls=[dead, second.url("/up/")]))
    try:
        for _ in range(3):
            r = call(proc, "/pizzashack/1.0.0/menu", OK.token)
            assert r.status_code == 200, r.text
            assert r.json()["backend"] == "second" and r.json()["path"] == "/up/menu"
        # every endpoint down (the first one suspended): WSO2's endpoint fault
        second.close()
        r = call(proc, "/pizzashack/1.0.0/menu", OK.token)
        assert r.status_code == 500, r.text
        assert re.search(r"<am:code>10150[35]</am:code>", r.text), r.text
        # now both are suspended, whichever worker takes the connection
        for _ in range(8):
            r = call(proc, "/pizzashack/1.0.0/menu", OK.token)
            assert r.status_code == 500 and "<am:code>303001</am:code>" in r.text, r.text
    finally:
        proc.stop()


def test_key_manager_down_and_back(apimd_bin, gw, km):
    s = seed(km)  # never validated: not in the gateway's cache
    km.stop()
    try:
        r = call(gw, "/pizzashack/1.0.0/menu", s.token)
        assert r.status_code == 500 and auth_code(r) == 900900, r.text
    finally:
        km.proc = None
        fresh = ApimdProcess(apimd_bin, km.home, offset=km.offset).start()
        km.proc = fresh.proc
    r = wait_status(gw, "/pizzashack/1.0.0/menu", s.token, 200, timeout=10.0)
    assert r.status_code == 200, r.text


def test_all_in_one_revoke_is_immediate(apimd_bin, tmp_path, backend):
    """Default profile: the Key Manager and the gateway share a process; the
    Key Manager does not notify itself over SOAP, its revoke clears the
    gateway's token cache directly, before /oauth2/revoke answers."""
    s = Seed(app_name="AllInOneApp", resources=RESOURCES, token=None)
    edits = [shipped_synapse_configs,
             (APIM_XML, "<APIGateway>",
              "<APIGateway><DataPlane><DeploymentPollInterval>500</DeploymentPollInterval></DataPlane>")]
    proc = start_km(apimd_bin, tmp_path, edits=edits, seeds=[s])
    try:
        deploy(proc.home, api_xml(backend))
        pair = base64.b64encode(f"{s.consumer_key}:{s.consumer_secret}".encode()).decode()
        # the token through the gateway's shipped _TokenAPI_, which reaches
        # the Key Manager at APIKeyValidator/ServerURL's host and port (with
        # this home's port offset) over TLS verified with the truststore
        with http_session() as h:
            r = h.post(f"https://127.0.0.1:{proc.ports['nio_https']}/token",
                       data={"grant_type": "client_credentials"},
                       headers={"Authorization": "Basic " + pair}, timeout=10)
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]
        r = wait_status(proc, "/pizzashack/1.0.0/menu", token, 200)
        assert r.status_code == 200, r.text
        assert call(proc, "/pizzashack/1.0.0/menu", token).status_code == 200  # cached now
        with http_session() as h:
            r = h.post(proc.url("/oauth2/revoke", https=True), data={"token": token},
                       headers={"Authorization": "Basic " + pair}, timeout=10)
        assert r.status_code == 200, r.text
        r = call(proc, "/pizzashack/1.0.0/menu", token)
        assert r.status_code == 401 and auth_code(r) == 900901, r.text
    finally:
        proc.stop()


def test_access_log_reopened_on_sigusr1(gw):
    """logrotate moves the access log and sends SIGUSR1: new lines go to a
    new file, the moved one keeps what was written before."""
    import signal
    log = gw.home / "repository/logs/http_gw_access.log"
    assert call(gw, "/pizzashack/1.0.0/menu", OK.token).status_code == 200
    deadline = time.monotonic() + 5
    while (not log.exists() or "rid=" not in log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.2)
    rotated = log.with_name("http_gw_access.log.1")
    log.rename(rotated)
    gw.signal(signal.SIGUSR1)
    deadline = time.monotonic() + 5
    while not log.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert log.exists()
    before = rotated.read_text()
    assert call(gw, "/pizzashack/1.0.0/menu?rotated=1", OK.token).status_code == 200
    deadline = time.monotonic() + 5
    while "rotated=1" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "rotated=1" in log.read_text()
    assert "rotated=1" not in rotated.read_text() and rotated.read_text() == before
    assert OK.token not in log.read_text()


def test_transports_enforced(gw, km, backend):
    """transports="https": the http listener answers main's 403."""
    s = Seed(app_name="GwTlsApp", api_name="TlsAPI", context_template="/tlsonly", resources=RESOURCES)
    wso2rows.apply_sqlite(km.home / AM_DB, wso2rows.seed_sql(s))
    deploy(gw.home, api_xml(backend, name="TlsAPI", context="/tlsonly", transports="https"),
           "admin--TlsAPI_v1.0.0.xml")
    r = wait_status(gw, "/tlsonly/1.0.0/menu", s.token, 403, timeout=3.0)
    assert r.status_code == 403, r.text
    before = len(backend.seen)
    r = call(gw, "/tlsonly/1.0.0/menu", s.token)
    assert r.status_code == 403 and len(backend.seen) == before  # never forwarded
    assert "<am:code>403</am:code>" in r.text
    assert "Unsupported Transport [ http ]. The requested resource (/tlsonly/1.0.0/menu) " \
           "is not available." in r.text
    r = call(gw, "/tlsonly/1.0.0/menu", s.token, https=True)
    assert r.status_code == 200, r.text
    (gw.home / API_DIR / "admin--TlsAPI_v1.0.0.xml").unlink()


def test_soap_requests_get_soap_faults(gw, km, backend):
    s = Seed(app_name="GwSoapApp", api_name="SoapAPI", context_template="/soapy",
             resources=[Resource("/menu", "POST")])
    wso2rows.apply_sqlite(km.home / AM_DB, wso2rows.seed_sql(s))
    deploy(gw.home, api_xml(backend, name="SoapAPI", context="/soapy", methods="POST"),
           "admin--SoapAPI_v1.0.0.xml")
    wait_status(gw, "/soapy/1.0.0/menu", None, 405, timeout=3.0)
    envelope = ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
                '<soapenv:Body><getMenu/></soapenv:Body></soapenv:Envelope>')
    with http_session() as h:
        url = f"http://127.0.0.1:{gw.ports['nio_http']}/soapy/1.0.0/menu"
        # SOAP 1.1 without a token: APIAuthenticationHandler's SOAP fault
        r = h.post(url, data=envelope, headers={"Content-Type": "text/xml; charset=UTF-8",
                                                 "SOAPAction": "urn:getMenu"}, timeout=30)
        assert r.status_code == 401, r.text
        assert r.headers["Content-Type"].startswith("text/xml")
        assert "<faultcode>soapenv:Client</faultcode>" in r.text
        assert "<faultstring>Authentication Failure</faultstring>" in r.text
        assert "Required OAuth credentials not provided" in r.text
        # SOAP 1.2, wrong verb on a resource: the fault sequence's SOAP fault
        r = h.put(url, data=envelope.replace("http://schemas.xmlsoap.org/soap/envelope/",
                                             "http://www.w3.org/2003/05/soap-envelope"),
                  headers={"Content-Type": "application/soap+xml"}, timeout=30)
        assert r.status_code == 405, r.text
        assert r.headers["Content-Type"].startswith("application/soap+xml")
        assert "http://www.w3.org/2003/05/soap-envelope" in r.text
        assert "Method not allowed for given API resource" in r.text
        # the same call as plain XML keeps the ams:fault
        r = h.post(url, data="<getMenu/>", headers={"Content-Type": "application/xml"}, timeout=30)
        assert r.status_code == 401 and "<ams:code>900902</ams:code>" in r.text
        # and with a token, the SOAP call reaches the backend
        r = h.post(url, data=envelope, headers={"Content-Type": "text/xml", "SOAPAction": "urn:getMenu",
                                                 "Authorization": f"Bearer {s.token}"}, timeout=30)
        assert r.status_code == 200, r.text
    (gw.home / API_DIR / "admin--SoapAPI_v1.0.0.xml").unlink()


def test_backend_cors_headers_win(gw):
    """_cors_request_handler_ sets Allow-Origin only when the backend did not."""
    r = call(gw, "/pizzashack/1.0.0/order/own-cors", OK.token, Origin="https://app.example")
    assert r.status_code == 200, r.text
    assert r.headers["Access-Control-Allow-Origin"] == "https://backend.example"
    assert r.headers.get("Access-Control-Allow-Methods")  # the gateway's, the backend has none
    r = call(gw, "/pizzashack/1.0.0/order/7", OK.token, Origin="https://app.example")
    assert r.headers["Access-Control-Allow-Origin"] == "*"


def test_default_version_api(gw, backend):
    """WSO2's default_api_template.xml: /pizzashack/... is served by the
    default version (/pizzashack/1.0.0/...), with its token rules."""
    text = (REPO / "tests/data/synapse/api/admin--PizzaShackAPI.xml").read_text()
    deploy(gw.home, text, "admin--PizzaShackAPI.xml")
    try:
        r = wait_status(gw, "/pizzashack/menu?x=1", OK.token, 200, timeout=3.0)
        assert r.status_code == 200, r.text
        assert r.json()["path"] == "/api/menu?x=1"
        assert "wso2_am_api_default_version" not in r.json()["headers"]
        assert call(gw, "/pizzashack/order/9", OK.token).json()["path"] == "/api/order/9"
        assert auth_code(call(gw, "/pizzashack/menu")) == 900902
        assert auth_code(call(gw, "/pizzashack/menu", "not-a-token")) == 900901
        assert call(gw, "/pizzashack/nothing", OK.token).status_code == 404
    finally:
        (gw.home / API_DIR / "admin--PizzaShackAPI.xml").unlink()
    r = wait_status(gw, "/pizzashack/menu", OK.token, 404, timeout=3.0)
    assert r.status_code == 404


def test_hard_throttling(gw, km, backend):
    """ThrottleHandler productionMaxCount: at most N requests a second pass;
    the others get amt:fault 900801 with 503, and the next second passes."""
    s = Seed(app_name="GwMaxTpsApp", api_name="MaxTpsAPI", context_template="/maxtps", resources=RESOURCES)
    wso2rows.apply_sqlite(km.home / AM_DB, wso2rows.seed_sql(s))
    text = api_xml(backend, name="MaxTpsAPI", context="/maxtps").replace(
        '<handler class="org.wso2.carbon.apimgt.gateway.handlers.analytics.APIMgtUsageHandler"/>',
        '<handler class="org.wso2.carbon.apimgt.gateway.handlers.throttling.ThrottleHandler">'
        '<property name="productionMaxCount" value="3"/></handler>'
        '<handler class="org.wso2.carbon.apimgt.gateway.handlers.analytics.APIMgtUsageHandler"/>')
    deploy(gw.home, text, "admin--MaxTpsAPI_v1.0.0.xml")
    try:
        wait_status(gw, "/maxtps/1.0.0/menu", s.token, 200, timeout=3.0)
        time.sleep(1.0 - time.time() % 1.0 + 0.05)  # the start of a second
        with http_session() as h:
            url = f"http://127.0.0.1:{gw.ports['nio_http']}/maxtps/1.0.0/menu"
            codes = [h.get(url, headers={"Authorization": f"Bearer {s.token}"}, timeout=30)
                     for _ in range(8)]
        statuses = [r.status_code for r in codes]
        assert statuses.count(200) <= 3 and 503 in statuses, statuses
        limited = next(r for r in codes if r.status_code == 503)
        assert '<amt:code>900801</amt:code>' in limited.text
        assert "API Limit Reached" in limited.text
        time.sleep(1.1)
        assert call(gw, "/maxtps/1.0.0/menu", s.token).status_code == 200
    finally:
        (gw.home / API_DIR / "admin--MaxTpsAPI_v1.0.0.xml").unlink()
