# SPDX-License-Identifier: Apache-2.0
"""The seed topology, end to end over the REST APIs, on SQLite and on
MariaDB: three real apimd processes, as a WSO2 2.x site runs them

* the control plane (default profile: Publisher, Store, Key Manager) at
  offset N, whose api-manager.xml lists two gateway environments,
* a production gateway (gateway-manager profile) at offset N+1,
* a sandbox gateway (gateway-manager profile) at offset N+2,

the gateways validating keys with the control plane over Thrift
(EnableThriftServer=false on them).  An API created in the Publisher is
published to both environments (the Publisher pushes the synapse API to
each gateway's APIGatewayAdmin); the Store shows one URL set per
environment; an application's PRODUCTION key works on the production
gateway and is refused by the sandbox one, the SANDBOX key the other way
round, each reaching its own backend; Retire removes the API from both.
"""

from __future__ import annotations

import json
import re
import shutil
import time

import pytest

from conftest import (REPO, ApimdProcess, free_offset, http_session, make_carbon_home, port_is_free,
                      ports_for, rest_login, stop_all)
from test_gateway import APIM_XML, Backend, _set_in_block, shipped_synapse_configs
from test_server import mysql_datasources

PUBLISHER = "/api/am/publisher/v0.11"
STORE = "/api/am/store/v0.11"
API_DIR = "repository/deployment/server/synapse-configs/default/api"
PROD_ENV, SANDBOX_ENV = "Production Gateway", "Sandbox Gateway"
PUBLISHER_SCOPES = ("apim:api_view", "apim:api_create", "apim:api_publish", "apim:tier_view",
                    "apim:subscription_view")


def environments_xml(prod_offset, sandbox_offset):
    """api-manager.xml <Environments> naming the two gateways (each gateway
    finds its own type in it by its pass-through ports)."""

    def env(kind, name, offset):
        p = ports_for(offset)
        return (f'<Environment type="{kind}" api-console="true"><Name>{name}</Name>'
                f"<Description>the {kind} gateway</Description>"
                f"<ServerURL>https://127.0.0.1:{p['mgt_https']}/services/</ServerURL>"
                "<Username>admin</Username><Password>admin</Password>"
                f"<GatewayEndpoint>http://127.0.0.1:{p['nio_http']},https://127.0.0.1:{p['nio_https']}"
                "</GatewayEndpoint></Environment>")

    return ("<Environments>" + env("production", PROD_ENV, prod_offset)
            + env("sandbox", SANDBOX_ENV, sandbox_offset) + "</Environments>")


def set_environments(text):
    def edit(home):
        path = home / APIM_XML
        old = path.read_text()
        new, n = re.subn(r"<Environments>.*?</Environments>", text, old, count=1, flags=re.S)
        assert n == 1
        path.write_text(new)

    return edit


class Rest:
    """A REST client of one base path with one user's token."""

    def __init__(self, proc, base, token=None):
        self.proc, self.base, self.token = proc, base, token
        self.http = http_session()

    def call(self, method, path, body=None, **kw):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return self.http.request(method, self.proc.url(self.base + path, https=True), json=body,
                                 headers=headers, timeout=60, **kw)


def login(proc, user, password, scopes):
    """A token granted every one of @scopes."""
    tok = rest_login(proc, user, password, scopes, f"seed_{user}")
    granted = tok["scope"].split()
    assert set(scopes) <= set(granted), granted
    return tok["access_token"]


def gateway_call(gw, path, token, https=False):
    scheme, port = ("https", gw.ports["nio_https"]) if https else ("http", gw.ports["nio_http"])
    with http_session() as s:
        return s.get(f"{scheme}://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"},
                     timeout=30)


def poll(gw, path, token, until, what, timeout=20.0):
    """Call until until(status) holds (hot deployment is not synchronous
    with the admin service's answer); the last response."""
    deadline = time.monotonic() + timeout
    while True:
        r = gateway_call(gw, path, token)
        if until(r.status_code):
            return r
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}: {r.status_code} {r.text}")
        time.sleep(0.25)


@pytest.fixture(scope="module", params=["sqlite", "mariadb"])
def seed(request, tmp_path_factory, apimd_bin):
    base = free_offset(3)
    cp_offset, prod_offset, sandbox_offset = base, base + 1, base + 2
    envs = set_environments(environments_xml(prod_offset, sandbox_offset))
    cp_ports = ports_for(cp_offset)

    cp_home = make_carbon_home(tmp_path_factory.mktemp("seed-cp"), cp_offset,
                               edits=[shipped_synapse_configs, envs])
    if request.param == "mariadb":
        mariadb = request.getfixturevalue("mariadb")
        carbon_db = mariadb.create_database("seedcarbon")
        am_db = mariadb.create_database("seedapim")
        mariadb.run_sql_file(carbon_db, REPO / "dbscripts/mysql.sql")
        mariadb.run_sql_file(am_db, REPO / "dbscripts/apimgt/mysql.sql")
        mysql_datasources(cp_home, mariadb, carbon_db, am_db)

    def gateway_home(offset, name):
        edits = [
            shipped_synapse_configs,
            envs,
            _set_in_block("APIKeyValidator", "ServerURL", f"https://127.0.0.1:{cp_ports['mgt_https']}/services/"),
            _set_in_block("APIKeyValidator", "ThriftClientPort", str(cp_ports["thrift"])),
            _set_in_block("APIKeyValidator", "ThriftServerHost", "127.0.0.1"),
            _set_in_block("APIKeyValidator", "KeyValidatorClientType", "ThriftClient"),
            _set_in_block("APIKeyValidator", "EnableThriftServer", "false"),
            (APIM_XML, "<APIGateway>",
             "<APIGateway><DataPlane><DeploymentPollInterval>500</DeploymentPollInterval></DataPlane>"),
        ]
        home = make_carbon_home(tmp_path_factory.mktemp(name), offset, "gateway-manager", edits)
        # one key for the site, as WSO2 nodes share wso2carbon.jks: the
        # control plane (started first) trusts the gateways' admin services
        security = "repository/resources/security"
        for f in (cp.home / security).iterdir():
            shutil.copy(f, home / security / f.name)
        return home

    procs = []
    backends = {"prod": Backend("seed-prod"), "sandbox": Backend("seed-sandbox")}
    try:
        cp = ApimdProcess(apimd_bin, cp_home, offset=cp_offset).start()
        procs.append(cp)
        prod = ApimdProcess(apimd_bin, gateway_home(prod_offset, "seed-prod")).start()
        procs.append(prod)
        sandbox = ApimdProcess(apimd_bin, gateway_home(sandbox_offset, "seed-sandbox")).start()
        procs.append(sandbox)
        yield {"cp": cp, "prod": prod, "sandbox": sandbox, "backends": backends}
    finally:
        for b in backends.values():
            b.close()
        stop_all(reversed(procs))


def swagger(resources):
    paths = {}
    for verb, path in resources:
        paths.setdefault(path, {})[verb.lower()] = {
            "x-auth-type": "Application & Application User", "x-throttling-tier": "Unlimited",
            "responses": {"200": {"description": "OK"}}}
    return json.dumps({"swagger": "2.0", "info": {"title": "SeedAPI", "version": "1.0.0"}, "paths": paths})


def test_seed_topology(seed):
    cp, prod_gw, sandbox_gw, backends = seed["cp"], seed["prod"], seed["sandbox"], seed["backends"]
    # the gateways are gateways only: no Thrift key validation server of their own
    for gw in (prod_gw, sandbox_gw):
        assert port_is_free(gw.ports["thrift"])

    pub = Rest(cp, PUBLISHER, login(cp, "admin", "admin", PUBLISHER_SCOPES))

    # the Publisher sees both environments
    r = pub.call("GET", "/environments")
    assert r.status_code == 200, r.text
    envs = {e["name"]: e for e in r.json()["list"]}
    assert set(envs) == {PROD_ENV, SANDBOX_ENV}
    assert envs[PROD_ENV]["type"] == "production" and envs[SANDBOX_ENV]["type"] == "sandbox"
    assert envs[PROD_ENV]["endpoints"]["http"] == f"http://127.0.0.1:{prod_gw.ports['nio_http']}"
    assert envs[SANDBOX_ENV]["endpoints"]["https"] == f"https://127.0.0.1:{sandbox_gw.ports['nio_https']}"

    # create the API in the Publisher
    endpoint_config = {"endpoint_type": "http",
                       "production_endpoints": {"url": backends["prod"].url("/prod/"), "config": None},
                       "sandbox_endpoints": {"url": backends["sandbox"].url("/sandbox/"), "config": None}}
    body = {"name": "SeedAPI", "context": "/seed", "version": "1.0.0", "description": "the seed API",
            "tiers": ["Unlimited"], "isDefaultVersion": False, "transport": ["http", "https"],
            "endpointConfig": json.dumps(endpoint_config), "visibility": "PUBLIC", "type": "HTTP",
            "gatewayEnvironments": f"{PROD_ENV},{SANDBOX_ENV}",
            "apiDefinition": swagger([("GET", "/menu"), ("POST", "/order")])}
    r = pub.call("POST", "/apis", body)
    assert r.status_code == 201, r.text
    api = r.json()
    api_id = api["id"]
    assert api["status"] == "CREATED" and api["context"] == "/seed"
    assert api["gatewayEnvironments"] == f"{PROD_ENV},{SANDBOX_ENV}"
    files = {name: gw.home / API_DIR / "admin--SeedAPI_v1.0.0.xml"
             for name, gw in (("prod", prod_gw), ("sandbox", sandbox_gw))}
    assert not any(f.exists() for f in files.values())

    # publish: pushed to both gateways, nothing failed
    r = pub.call("POST", "/apis/change-lifecycle", params={"action": "Publish", "apiId": api_id})
    assert r.status_code == 200, r.text
    assert "failedGateways" not in (r.text or "{}")
    assert pub.call("GET", f"/apis/{api_id}").json()["status"] == "PUBLISHED"
    for name, f in files.items():
        assert f.exists(), f"not deployed on the {name} gateway"
        # WSO2 2.x's form: the context template and the version
        assert re.search(r'<api [^>]*name="admin--SeedAPI" context="/seed/\{version\}" version="1\.0\.0"',
                         f.read_text())
    # nothing on the control plane's own gateway: it is not one of the environments
    assert not (cp.home / API_DIR / "admin--SeedAPI_v1.0.0.xml").exists()

    # the Store: one URL set per environment
    sub_token = login(cp, "admin", "admin", ("apim:subscribe",))
    store = Rest(cp, STORE, sub_token)
    r = store.call("GET", f"/apis/{api_id}")
    assert r.status_code == 200, r.text
    urls = {u["environmentName"]: u for u in r.json()["endpointURLs"]}
    assert set(urls) == {PROD_ENV, SANDBOX_ENV}
    assert urls[PROD_ENV]["environmentType"] == "production"
    assert urls[PROD_ENV]["environmentURLs"]["http"] == f"http://127.0.0.1:{prod_gw.ports['nio_http']}/seed/1.0.0"
    assert urls[SANDBOX_ENV]["environmentType"] == "sandbox"
    assert urls[SANDBOX_ENV]["environmentURLs"]["https"] == (
        f"https://127.0.0.1:{sandbox_gw.ports['nio_https']}/seed/1.0.0")

    # an application, a subscription, PRODUCTION and SANDBOX keys
    r = store.call("POST", "/applications", {"name": "SeedApp", "throttlingTier": "Unlimited",
                                             "description": "", "callbackUrl": ""})
    assert r.status_code == 201, r.text
    app_id = r.json()["applicationId"]
    r = store.call("POST", "/subscriptions", {"tier": "Unlimited", "apiIdentifier": api_id,
                                              "applicationId": app_id})
    assert r.status_code == 201, r.text
    keys = {}
    for kt in ("PRODUCTION", "SANDBOX"):
        r = store.call("POST", "/applications/generate-keys",
                       {"keyType": kt, "validityTime": "3600", "callbackUrl": "", "accessAllowDomains": ["ALL"],
                        "scopes": ["am_application_scope", "default"]}, params={"applicationId": app_id})
        assert r.status_code == 200, r.text
        keys[kt] = r.json()["token"]["accessToken"]

    # each key on its own gateway reaches its own backend, http and https
    def works(gw, token, prefix):
        poll(gw, "/seed/1.0.0/menu", token, lambda status: status != 404, "the API on the gateway")
        for https in (False, True):
            r = gateway_call(gw, "/seed/1.0.0/menu", token, https)
            assert r.status_code == 200, r.text
            assert r.json()["path"] == f"{prefix}menu"

    works(prod_gw, keys["PRODUCTION"], "/prod/")
    works(sandbox_gw, keys["SANDBOX"], "/sandbox/")
    # and is refused by the other one
    r = gateway_call(sandbox_gw, "/seed/1.0.0/menu", keys["PRODUCTION"])
    assert r.status_code == 401 and "<message>Production Key Provided for Sandbox Gateway</message>" in r.text
    r = gateway_call(prod_gw, "/seed/1.0.0/menu", keys["SANDBOX"])
    assert r.status_code == 401 and "<message>Sandbox Key Provided for Production Gateway</message>" in r.text
    seen = {b: [x["path"] for x in backend.seen] for b, backend in backends.items()}
    assert seen == {"prod": ["/prod/menu"] * 3, "sandbox": ["/sandbox/menu"] * 3}

    # Deprecate keeps it deployed; Retire removes it from both gateways
    r = pub.call("POST", "/apis/change-lifecycle", params={"action": "Deprecate", "apiId": api_id})
    assert r.status_code == 200, r.text
    assert all(f.exists() for f in files.values())
    r = pub.call("POST", "/apis/change-lifecycle", params={"action": "Retire", "apiId": api_id})
    assert r.status_code == 200, r.text
    assert "failedGateways" not in (r.text or "{}")
    assert pub.call("GET", f"/apis/{api_id}").json()["status"] == "RETIRED"
    assert not any(f.exists() for f in files.values())
    for gw, kt in ((prod_gw, "PRODUCTION"), (sandbox_gw, "SANDBOX")):
        poll(gw, "/seed/1.0.0/menu", keys[kt], lambda status: status == 404, "the API to go")
    # the Store no longer lists a retired API
    listed = [a["id"] for a in Rest(cp, STORE).call("GET", "/apis").json()["list"]]
    assert api_id not in listed
