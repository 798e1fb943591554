# SPDX-License-Identifier: Apache-2.0
"""The Publisher REST API /api/am/publisher/v0.11 on real processes
(spec wso2-db-rest.md §4, §4.2), on SQLite and on MariaDB.

Three servers on consecutive port offsets N, N+1, N+2:

* N: the default profile (Publisher, Store, Key Manager, gateway and its
  APIGatewayAdmin in one process), whose api-manager.xml has three
  environments: its own "Production and Sandbox", "Second" (the
  gateway-manager at N+1) and "Third" (a gateway-manager at N+2 that is
  not running at first);
* N+1 and later N+2: -Dprofile=gateway-manager, validating keys at N over
  Thrift, with N's keystore (the Publisher trusts them through its
  truststore, as WSO2 nodes sharing one key do).

A client does what the 2.x Publisher web app does: DCR, a password-grant
token with the apim:* scopes, create an API whose backend is a loopback
HTTP server of the test, edit its swagger, publish it (the synapse file
appears on each running gateway, the dead one is named in failedGateways),
start the missing gateway and publish again, subscribe through the Store
REST API and call through the gateways, block a subscription, retire the
API (removed from every gateway), copy and delete.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest

from conftest import REPO, ApimdProcess, free_offset, http_session, make_carbon_home, ports_for, rest_login, stop_all
from test_gateway import Backend, _set_in_block, shipped_synapse_configs
from test_server import mysql_datasources
from test_store import signup_envelope
from test_thrift import APIM_XML

BASE = "/api/am/publisher/v0.11"
STORE = "/api/am/store/v0.11"
API_DIR = "repository/deployment/server/synapse-configs/default/api"
FILE = "admin--PubTestAPI_v1.0.0.xml"
UUID_RE = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
PUB_SCOPES = ("apim:api_view", "apim:api_create", "apim:api_publish", "apim:tier_view",
              "apim:subscription_view", "apim:subscription_block")
POLL = "<DeploymentPollInterval>500</DeploymentPollInterval>"


def environments_edit(base):
    """Two more environments after the shipped one: the gateway managers."""
    def env(name, offset):
        p = ports_for(offset)
        return (f'<Environment type="hybrid" api-console="true"><Name>{name}</Name>'
                f"<Description>{name}</Description>"
                f"<ServerURL>https://127.0.0.1:{p['mgt_https']}/services/</ServerURL>"
                "<Username>admin</Username><Password>admin</Password>"
                f"<GatewayEndpoint>http://127.0.0.1:{p['nio_http']},https://127.0.0.1:{p['nio_https']}"
                "</GatewayEndpoint></Environment>")

    return (APIM_XML, "</Environments>", env("Second", base + 1) + env("Third", base + 2) + "</Environments>")


def gateway_manager_home(tmp_path, km, offset):
    """A gateway-manager validating keys at @km, with @km's keystore."""
    edits = [
        shipped_synapse_configs,
        _set_in_block("APIKeyValidator", "ServerURL", f"https://127.0.0.1:{km.ports['mgt_https']}/services/"),
        _set_in_block("APIKeyValidator", "ThriftClientPort", str(km.ports["thrift"])),
        _set_in_block("APIKeyValidator", "ThriftServerHost", "127.0.0.1"),
        (APIM_XML, "<APIGateway>", f"<APIGateway><DataPlane>{POLL}</DataPlane>"),
    ]
    home = make_carbon_home(tmp_path, offset, "gateway-manager", edits)
    security = "repository/resources/security"
    for f in (Path(km.home) / security).iterdir():
        shutil.copy(f, home / security / f.name)
    return home


class Pub:
    def __init__(self, proc, backend, base, tmp, apimd_bin):
        self.proc, self.backend, self.base, self.tmp, self.bin = proc, backend, base, tmp, apimd_bin
        self.http = http_session()
        self.gateways: dict[str, ApimdProcess] = {}

    def url(self, path, base=BASE):
        return self.proc.url(base + path, https=True)

    def call(self, method, path, token=None, base=BASE, **kw):
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.url(path, base), headers=headers, timeout=60, **kw)

    def login(self, user, password, scopes):
        return rest_login(self.proc, user, password, scopes, "pub_test")["access_token"]

    def start_gateway(self, name, offset):
        home = gateway_manager_home(self.tmp, self.proc, offset)
        self.gateways[name] = ApimdProcess(self.bin, home, offset=offset).start()
        return self.gateways[name]

    def stop(self):
        stop_all([*self.gateways.values(), self.proc])


def api_file(proc_or_home, name=FILE) -> Path:
    home = proc_or_home.home if hasattr(proc_or_home, "home") else proc_or_home
    return Path(home) / API_DIR / name


def through(proc, path, token, want=200, timeout=20.0):
    """GET through @proc's gateway until it answers @want (hot deployment
    and validation caches take a moment)."""
    deadline = time.monotonic() + timeout
    with http_session() as s:
        while True:
            r = s.get(f"http://127.0.0.1:{proc.ports['nio_http']}{path}",
                      headers={"Authorization": f"Bearer {token}"}, timeout=20)
            if r.status_code == want or time.monotonic() > deadline:
                return r
            time.sleep(0.3)


@pytest.fixture(scope="module", params=["sqlite", "mariadb"])
def pub(request, tmp_path_factory, apimd_bin):
    base = free_offset(3)
    tmp = tmp_path_factory.mktemp("pub")
    home = make_carbon_home(tmp, base, edits=[
        shipped_synapse_configs, environments_edit(base),
        (APIM_XML, "<APIGateway>", f"<APIGateway><DataPlane>{POLL}</DataPlane>"),
    ])
    if request.param == "mariadb":
        mariadb = request.getfixturevalue("mariadb")
        carbon_db = mariadb.create_database("pubcarbon")
        am_db = mariadb.create_database("pubapim")
        mariadb.run_sql_file(carbon_db, REPO / "dbscripts/mysql.sql")
        mariadb.run_sql_file(am_db, REPO / "dbscripts/apimgt/mysql.sql")
        mysql_datasources(home, mariadb, carbon_db, am_db)
    backend = Backend("pub-backend")
    proc = ApimdProcess(apimd_bin, home, offset=base).start()
    p = Pub(proc, backend, base, tmp, apimd_bin)
    try:
        p.start_gateway("Second", base + 1)
        yield p
    finally:
        backend.close()
        p.stop()


def swagger(paths):
    return json.dumps({
        "swagger": "2.0", "info": {"title": "PubTestAPI", "version": "1.0.0"},
        "paths": {p: {verb.lower(): {"x-auth-type": "Application & Application User",
                                     "x-throttling-tier": "Unlimited",
                                     "responses": {"200": {"description": ""}}}
                      for verb in verbs} for p, verbs in paths.items()}})


def api_body(pub, **kw):
    body = {
        "name": "PubTestAPI", "context": "/pubtest", "version": "1.0.0", "description": "for the test",
        "tiers": ["Gold", "Unlimited"], "transport": ["http", "https"], "isDefaultVersion": False,
        "visibility": "PUBLIC", "type": "HTTP", "tags": ["test"],
        "endpointConfig": json.dumps({
            "production_endpoints": {"url": pub.backend.url("/api/"), "config": None},
            "sandbox_endpoints": {"url": pub.backend.url("/sandbox/"), "config": None},
            "endpoint_type": "http"}),
        "gatewayEnvironments": "Production and Sandbox,Second,Third",
        "apiDefinition": swagger({"/menu": ["GET"]}),
    }
    body.update(kw)
    return body


# ---- authentication -----------------------------------------------------------------------------


def test_tokens_and_scopes(pub):
    r = pub.call("GET", "/apis")
    assert r.status_code == 401 and r.json()["description"] == "Unauthenticated request", r.text
    # admin's token without the route's scope, and a subscriber who cannot get it
    store_only = pub.login("admin", "admin", ("apim:subscribe",))
    assert pub.call("GET", "/apis", store_only).status_code == 401
    r = pub.http.post(pub.proc.url("/services/UserRegistrationAdminService", https=True),
                      data=signup_envelope("sub1", "Sub1-pass", "s@x").encode(),
                      headers={"Content-Type": "text/xml"}, timeout=20)
    assert r.status_code == 202, r.text
    sub = pub.login("sub1", "Sub1-pass", PUB_SCOPES)
    for method, path in (("GET", "/apis"), ("POST", "/apis"), ("POST", "/apis/change-lifecycle"),
                         ("GET", "/environments"), ("GET", "/tiers/api")):
        r = pub.call(method, path, sub, json={} if method == "POST" else None)
        assert r.status_code == 401, (method, path, r.text)
    # a creator's token lacks apim:api_publish
    viewer = pub.login("admin", "admin", ("apim:api_view",))
    assert pub.call("GET", "/apis", viewer).status_code == 200
    assert pub.call("POST", "/apis/change-lifecycle", viewer,
                    params={"action": "Publish", "apiId": "x"}).status_code == 401


# ---- the publisher flow ---------------------------------------------------------------------


def test_environments_and_tiers(pub):
    tok = pub.login("admin", "admin", PUB_SCOPES)
    r = pub.call("GET", "/environments", tok)
    assert r.status_code == 200, r.text
    envs = r.json()
    assert envs["count"] == 3 and [e["name"] for e in envs["list"]] == ["Production and Sandbox", "Second", "Third"]
    second = envs["list"][1]
    p2 = ports_for(pub.base + 1)
    assert second == {"name": "Second", "type": "hybrid",
                      "serverUrl": f"https://127.0.0.1:{p2['mgt_https']}/services/",
                      "showInApiConsole": True,
                      "endpoints": {"http": f"http://127.0.0.1:{p2['nio_http']}",
                                    "https": f"https://127.0.0.1:{p2['nio_https']}"}}
    assert pub.call("GET", "/environments", tok, params={"apiId": "admin-Nope-1.0"}).status_code == 404
    tiers = pub.call("GET", "/tiers/api", tok).json()
    assert [t["name"] for t in tiers["list"]] == ["Bronze", "Gold", "Silver", "Unlimited"]
    assert tiers["list"][1]["timeUnit"] == "min" and tiers["list"][1]["tierLevel"] == "api"
    res = [t["name"] for t in pub.call("GET", "/tiers/resource", tok).json()["list"]]
    assert "10KPerMin" in res and "Unlimited" in res
    assert pub.call("GET", "/tiers/application", tok).status_code == 200
    assert pub.call("GET", "/tiers/nope", tok).status_code == 400
    gold = pub.call("GET", "/tiers/api/Gold", tok)
    assert gold.status_code == 200 and gold.json() == tiers["list"][1], gold.text
    assert pub.call("GET", "/tiers/resource/Gold", tok).status_code == 404


def test_create_validate_swagger(pub):
    tok = pub.login("admin", "admin", PUB_SCOPES)
    r = pub.call("POST", "/apis", tok, json=api_body(pub))
    assert r.status_code == 201, r.text
    api = r.json()
    pub.api_id = api["id"]
    assert re.match(UUID_RE, api["id"])
    assert r.headers["Location"].endswith(f"{BASE}/apis/{api['id']}")
    assert api["context"] == "/pubtest" and api["provider"] == "admin" and api["status"] == "CREATED"
    assert api["gatewayEnvironments"] == "Production and Sandbox,Second,Third"
    assert api["visibility"] == "PUBLIC" and api["tiers"] == ["Gold", "Unlimited"]
    assert "/menu" in json.loads(api["apiDefinition"])["paths"]

    # WSO2's refusals
    r = pub.call("POST", "/apis", tok, json=api_body(pub))
    assert r.status_code == 409 and r.json()["message"] == "Resource Already Exists", r.text
    r = pub.call("POST", "/apis", tok, json=api_body(pub, name="Other", context="/other", tiers=["Platinum"]))
    assert r.status_code == 400 and r.json()["description"] == "Specified tier(s) [Platinum] are invalid", r.text
    r = pub.call("POST", "/apis", tok, json={"name": "X"})
    assert r.status_code == 400 and r.json()["description"] == "Validation Error"
    assert {"400_context", "400_version", "400_tiers", "400_endpointConfig"} <= {e["code"] for e in r.json()["error"]}
    r = pub.call("POST", "/apis", tok, json=api_body(pub, name="Other", colour="red"))
    assert r.status_code == 400 and r.json()["description"] == "Unrecognized property 'colour'"
    r = pub.call("POST", "/apis", tok, data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["description"] == "Malformed request body."

    # reads: list, query, provider-name-version
    listed = pub.call("GET", "/apis", tok, params={"query": "PubTest"}).json()
    assert [a["id"] for a in listed["list"]] == [api["id"]]
    assert list(listed["list"][0]) == ["id", "name", "description", "context", "version", "provider", "status"]
    assert pub.call("GET", "/apis/admin-PubTestAPI-1.0.0", tok).json()["id"] == api["id"]
    assert pub.call("GET", "/apis/6d7c7c4a-0000-4000-8000-000000000000", tok).status_code == 404

    # swagger: GET, PUT as multipart and as a urlencoded form
    r = pub.call("GET", f"/apis/{api['id']}/swagger", tok)
    assert r.status_code == 200 and list(r.json()["paths"]) == ["/menu"]
    two = swagger({"/menu": ["GET"], "/order": ["POST"]})
    r = pub.call("PUT", f"/apis/{api['id']}/swagger", tok, files={"apiDefinition": (None, two)})
    assert r.status_code == 200, r.text
    assert sorted(json.loads(pub.call("GET", f"/apis/{api['id']}", tok).json()["apiDefinition"])["paths"]) == \
        ["/menu", "/order"]
    r = pub.call("PUT", f"/apis/{api['id']}/swagger", tok, data={"apiDefinition": two})
    assert r.status_code == 200, r.text
    r = pub.call("PUT", f"/apis/{api['id']}/swagger", tok, data={"other": "x"})
    assert r.status_code == 400 and r.json()["error"][0]["code"] == "400_apiDefinition"
    r = pub.call("PUT", f"/apis/{api['id']}/swagger", tok, data={"apiDefinition": "{\"openapi\": \"3.0.0\"}"})
    assert r.status_code == 400, r.text

    # a lifecycle action the state does not allow; a missing parameter
    r = pub.call("POST", "/apis/change-lifecycle", tok, params={"action": "Retire", "apiId": api["id"]})
    assert r.status_code == 400, r.text
    assert r.json()["description"] == "Action 'Retire' is not allowed. Allowed actions are [Publish, Deploy as a Prototype]"
    r = pub.call("POST", "/apis/change-lifecycle", tok, params={"apiId": api["id"]})
    assert r.status_code == 400 and r.json()["error"][0]["code"] == "400_action"


def test_publish_subscribe_retire(pub):
    tok = pub.login("admin", "admin", PUB_SCOPES)
    api_id = pub.api_id
    second = pub.gateways["Second"]

    # Publish: deployed here and on Second; Third (nothing listens) is named
    r = pub.call("POST", "/apis/change-lifecycle", tok, params={"action": "Publish", "apiId": api_id})
    assert r.status_code == 200, r.text
    failed = r.json()["failedGateways"]
    assert list(failed["PUBLISHED"]) == ["Third"] and failed["UNPUBLISHED"] == {}, failed
    assert pub.call("GET", f"/apis/{api_id}", tok).json()["status"] == "PUBLISHED"
    assert api_file(pub.proc).exists() and api_file(second).exists()
    assert 'context="/pubtest/{version}" version="1.0.0"' in api_file(second).read_text()
    assert "not deployed to gateway environment 'Third'" in pub.proc.log_text()

    # the Store: an application, a subscription, keys; calls through both gateways
    stok = pub.login("admin", "admin", ("apim:subscribe",))
    app = pub.call("POST", "/applications", stok, base=STORE,
                   json={"name": "PubTestApp", "throttlingTier": "Unlimited", "description": ""})
    assert app.status_code == 201, app.text
    app_id = pub.app_id = app.json()["applicationId"]
    sub = pub.call("POST", "/subscriptions", stok, base=STORE,
                   json={"tier": "Gold", "apiIdentifier": api_id, "applicationId": app_id})
    assert sub.status_code == 201, sub.text
    sub_id = sub.json()["subscriptionId"]
    keys = pub.call("POST", "/applications/generate-keys", stok, base=STORE, params={"applicationId": app_id},
                    json={"keyType": "PRODUCTION", "validityTime": "3600", "accessAllowDomains": ["ALL"]})
    assert keys.status_code == 200, keys.text
    key = keys.json()["token"]["accessToken"]
    r = through(pub.proc, "/pubtest/1.0.0/menu", key)
    assert r.status_code == 200 and r.json()["path"] == "/api/menu", r.text
    r = through(second, "/pubtest/1.0.0/menu", key)
    assert r.status_code == 200 and r.json()["path"] == "/api/menu", r.text

    # Third comes up: Publish again deploys there too
    third = pub.start_gateway("Third", pub.base + 2)
    assert not api_file(third).exists()
    r = pub.call("POST", "/apis/change-lifecycle", tok, params={"action": "Publish", "apiId": api_id})
    assert r.status_code == 200 and r.text == "", r.text
    assert api_file(third).exists()
    r = through(third, "/pubtest/1.0.0/menu", key)
    assert r.status_code == 200 and r.json()["path"] == "/api/menu", r.text

    # an edit of a published API: pushed again; Third deselected loses it
    cur = pub.call("GET", f"/apis/{api_id}", tok).json()
    r = pub.call("PUT", f"/apis/{api_id}", tok,
                 json={**cur, "description": "edited", "gatewayEnvironments": "Production and Sandbox,Second"})
    assert r.status_code == 200, r.text
    assert r.json()["description"] == "edited" and r.json()["status"] == "PUBLISHED"
    assert not api_file(third).exists() and api_file(second).exists()

    # an edit whose push fails: stored, answered 500 naming the environment
    third.stop()
    r = pub.call("PUT", f"/apis/{api_id}", tok, json={**cur, "description": "again",
                                                    "gatewayEnvironments": "Production and Sandbox,Second,Third"})
    assert r.status_code == 500, r.text
    err = r.json()
    assert err["description"] == f"Error while updating API : {api_id}"
    assert [(e["code"], e["message"].split(":")[0]) for e in err["error"]] == [("PUBLISHED", "Third")]
    assert pub.call("GET", f"/apis/{api_id}", tok).json()["description"] == "again"

    # the Publisher's view of subscriptions; block and unblock
    subs = pub.call("GET", "/subscriptions", tok, params={"apiId": api_id}).json()
    assert [s["subscriptionId"] for s in subs["list"]] == [sub_id]
    assert subs["list"][0]["apiIdentifier"] == "admin-PubTestAPI-1.0.0"
    assert pub.call("GET", "/subscriptions", tok).json()["count"] == 1  # all of admin's APIs
    assert pub.call("GET", f"/subscriptions/{sub_id}", tok).json()["status"] == "UNBLOCKED"
    assert pub.call("GET", f"/applications/{app_id}", tok).json()["name"] == "PubTestApp"
    r = pub.call("POST", "/subscriptions/block-subscription", tok, params={"subscriptionId": sub_id,
                                                                         "blockState": "BLOCKED"})
    assert r.status_code == 200 and r.json()["status"] == "BLOCKED", r.text
    assert pub.call("GET", f"/subscriptions/{sub_id}", tok).json()["status"] == "BLOCKED"
    r = pub.call("POST", "/subscriptions/block-subscription", tok, params={"subscriptionId": sub_id,
                                                                         "blockState": "MAYBE"})
    assert r.status_code == 400
    r = pub.call("POST", "/subscriptions/unblock-subscription", tok, params={"subscriptionId": sub_id})
    assert r.status_code == 200 and r.json()["status"] == "UNBLOCKED", r.text
    assert through(pub.proc, "/pubtest/1.0.0/menu", key).status_code == 200

    # no delete while subscribed
    r = pub.call("DELETE", f"/apis/{api_id}", tok)
    assert r.status_code == 409, r.text
    assert r.json()["description"] == f"Cannot remove the API {api_id} as active subscriptions exist"

    # Deprecate (still served), then Retire: off every gateway
    # (Third, selected again by the failed edit, is still down)
    r = pub.call("POST", "/apis/change-lifecycle", tok, params={"action": "Deprecate", "apiId": api_id})
    assert r.status_code == 200 and list(r.json()["failedGateways"]["PUBLISHED"]) == ["Third"], r.text
    assert api_file(pub.proc).exists() and api_file(second).exists()
    r = pub.call("POST", "/apis/change-lifecycle", tok, params={"action": "Retire", "apiId": api_id})
    assert r.status_code == 200, r.text
    assert r.json()["failedGateways"] == {"PUBLISHED": {}, "UNPUBLISHED": {"Third": r.json()["failedGateways"]["UNPUBLISHED"]["Third"]}}
    assert not api_file(pub.proc).exists() and not api_file(second).exists()
    assert pub.call("GET", f"/apis/{api_id}", tok).json()["status"] == "RETIRED"
    assert through(pub.proc, "/pubtest/1.0.0/menu", key, want=404).status_code == 404


def test_copy_and_delete(pub):
    tok = pub.login("admin", "admin", PUB_SCOPES)
    r = pub.call("POST", "/apis/copy-api", tok, params={"apiId": pub.api_id, "newVersion": "2.0.0"})
    assert r.status_code == 201, r.text
    copy = r.json()
    assert copy["version"] == "2.0.0" and copy["status"] == "CREATED" and copy["context"] == "/pubtest"
    assert json.loads(copy["apiDefinition"])["info"]["version"] == "2.0.0"
    assert r.headers["Location"].endswith(f"/apis/{copy['id']}")
    r = pub.call("POST", "/apis/copy-api", tok, params={"apiId": pub.api_id, "newVersion": "2.0.0"})
    assert r.status_code == 409, r.text
    r = pub.call("POST", "/apis/change-lifecycle", tok, params={"action": "Publish", "apiId": copy["id"]})
    assert r.status_code == 200
    assert api_file(pub.proc, "admin--PubTestAPI_v2.0.0.xml").exists()

    stok = pub.login("admin", "admin", ("apim:subscribe",))
    r = pub.call("POST", "/subscriptions", stok, base=STORE,
                 json={"tier": "Gold", "apiIdentifier": copy["id"], "applicationId": pub.app_id})
    assert r.status_code == 201, r.text
    sub2 = r.json()["subscriptionId"]

    # 3.0.0 on this gateway only (an edit in CREATED deploys nothing), published
    # with "Deprecate Old Versions": 2.0.0 is deprecated; without "Require
    # Re-Subscription" its subscription is carried forward
    r = pub.call("POST", "/apis/copy-api", tok, params={"apiId": copy["id"], "newVersion": "3.0.0"})
    assert r.status_code == 201, r.text
    v3 = r.json()
    r = pub.call("PUT", f"/apis/{v3['id']}", tok, json={**v3, "gatewayEnvironments": "Production and Sandbox"})
    assert r.status_code == 200 and r.json()["gatewayEnvironments"] == "Production and Sandbox", r.text
    assert not api_file(pub.proc, "admin--PubTestAPI_v3.0.0.xml").exists()
    r = pub.call("POST", "/apis/change-lifecycle", tok,
                 params={"action": "Publish", "apiId": v3["id"],
                         "lifecycleChecklist": "Deprecate Old Versions:true,Require Re-Subscription:false"})
    assert r.status_code == 200 and r.text == "", r.text
    assert pub.call("GET", f"/apis/{copy['id']}", tok).json()["status"] == "DEPRECATED"
    assert pub.call("GET", f"/apis/{pub.api_id}", tok).json()["status"] == "RETIRED"
    assert api_file(pub.proc, "admin--PubTestAPI_v3.0.0.xml").exists()
    assert not api_file(pub.gateways["Second"], "admin--PubTestAPI_v3.0.0.xml").exists()
    [fwd] = pub.call("GET", "/subscriptions", tok, params={"apiId": v3["id"]}).json()["list"]
    assert (fwd["applicationId"], fwd["tier"], fwd["apiIdentifier"], fwd["status"]) == \
        (pub.app_id, "Gold", "admin-PubTestAPI-3.0.0", "UNBLOCKED")
    assert pub.call("DELETE", f"/apis/{v3['id']}", tok).status_code == 409
    assert pub.call("DELETE", f"/subscriptions/{fwd['subscriptionId']}", stok, base=STORE).status_code == 200
    r = pub.call("DELETE", f"/apis/{v3['id']}", tok)
    assert r.status_code == 200, r.text
    assert pub.call("DELETE", f"/subscriptions/{sub2}", stok, base=STORE).status_code == 200
    assert not api_file(pub.proc, "admin--PubTestAPI_v3.0.0.xml").exists()

    # Third is down: the removal cannot be done everywhere, the API stays
    r = pub.call("DELETE", f"/apis/{copy['id']}", tok)
    assert r.status_code == 500, r.text
    assert r.json()["description"] == f"Error while deleting API : {copy['id']}"
    assert [(e["code"], e["message"].split(":")[0]) for e in r.json()["error"]] == [("UNPUBLISHED", "Third")]
    assert pub.call("GET", f"/apis/{copy['id']}", tok).status_code == 200
    # deselected (stored, though Third cannot be told), then deleted
    cur = pub.call("GET", f"/apis/{copy['id']}", tok).json()
    r = pub.call("PUT", f"/apis/{copy['id']}", tok, json={**cur, "gatewayEnvironments": "Production and Sandbox,Second"})
    assert r.status_code == 500 and r.json()["error"][0]["code"] == "UNPUBLISHED", r.text
    r = pub.call("DELETE", f"/apis/{copy['id']}", tok)
    assert r.status_code == 200, r.text
    assert not api_file(pub.proc, "admin--PubTestAPI_v2.0.0.xml").exists()
    assert not api_file(pub.gateways["Second"], "admin--PubTestAPI_v2.0.0.xml").exists()
    assert pub.call("GET", f"/apis/{copy['id']}", tok).status_code == 404


@pytest.mark.parametrize("profile, served", [("api-publisher", True), ("api-store", False),
                                             ("gateway-worker", False)])
def test_profiles(apimd_factory, profile, served):
    proc = apimd_factory(profile=profile)
    with http_session() as s:
        r = s.get(proc.url(BASE + "/apis", https=True), timeout=20)
        # no token: 401 where the API is served, 404 where it is not
        assert r.status_code == (401 if served else 404), r.text
