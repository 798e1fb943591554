# SPDX-License-Identifier: Apache-2.0
"""The Store REST API /api/am/store/v0.11 and self sign-up on a real apimd
(default profile: Store, Key Manager and gateway in one process), on SQLite
and on MariaDB (spec wso2-db-rest.md §4, §4.3).

APIs are made the way the Publisher stores them, by tests/tools/am-test-api
(the API storage layer: registry artifact + swagger + AM_API rows, then a
lifecycle change, and the synapse file the Publisher would deploy).  A
client does what a 2.x Store client does: DCR, a password-grant token with
apim:subscribe, applications, keys, subscriptions, and a call through the
gateway with the generated application token to a loopback backend.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from conftest import REPO, ApimdProcess, free_offset, http_session, make_carbon_home, rest_login
from test_gateway import Backend, shipped_synapse_configs
from test_server import mysql_datasources

BASE = "/api/am/store/v0.11"
TOOL = REPO / "tests" / "tools" / "am-test-api"
SIGNUP = "/services/UserRegistrationAdminService"
UUID_RE = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


@pytest.fixture(scope="session")
def api_tool():
    if not TOOL.exists():
        r = subprocess.run(["make", "tests/tools/am-test-api"], cwd=REPO, capture_output=True,
                           text=True, timeout=600)
        if r.returncode != 0:
            pytest.fail(f"cannot build {TOOL}:\n{r.stdout}\n{r.stderr}")
    return TOOL


class Store:
    def __init__(self, proc: ApimdProcess, home, tool, backend, mysql=None):
        self.proc, self.home, self.tool, self.backend, self.mysql = proc, home, tool, backend, mysql
        self.http = http_session()

    def url(self, path):
        return self.proc.url(BASE + path, https=True)

    def get(self, path, token=None, **kw):
        return self.http.get(self.url(path), headers=auth(token), timeout=20, **kw)

    def post(self, path, body=None, token=None, **kw):
        return self.http.post(self.url(path), json=body, headers=auth(token), timeout=30, **kw)

    def put(self, path, body, token=None):
        return self.http.put(self.url(path), json=body, headers=auth(token), timeout=20)

    def delete(self, path, token=None):
        return self.http.delete(self.url(path), headers=auth(token), timeout=20)

    def api(self, **spec) -> dict:
        """Create (and publish, deploy) an API through the storage layer."""
        spec.setdefault("tiers", ["Gold", "Unlimited"])
        spec.setdefault("environments", ["Production and Sandbox"])
        spec.setdefault("production", self.backend.url("/api/"))
        spec.setdefault("sandbox", self.backend.url("/sandbox/"))
        spec.setdefault("resources", [["GET", "/menu", "Any"], ["POST", "/order", "Any"]])
        r = subprocess.run([str(self.tool), "--carbon-home", str(self.home)], input=json.dumps(spec),
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def login(self, user, password, scopes=("apim:subscribe",)) -> str:
        return rest_login(self.proc, user, password, scopes, "store_test")["access_token"]

    def gateway(self, path, token):
        with http_session() as s:
            return s.get(f"http://127.0.0.1:{self.proc.ports['nio_http']}{path}",
                         headers={"Authorization": f"Bearer {token}"}, timeout=20)

    def signup(self, user, password, email="x@example.com", content_type="text/xml; charset=UTF-8",
               envelope=None):
        if envelope is None:
            envelope = signup_envelope(user, password, email)
        return self.http.post(self.proc.url(SIGNUP, https=True), data=envelope.encode(), timeout=20,
                              headers={"Content-Type": content_type, "SOAPAction": "urn:addUser"})

    def sql(self, query, *args):
        if self.mysql is not None:
            db, am_db = self.mysql
            q = query.replace("?", "{}").format(*[f"'{a}'" for a in args])
            return db.query(am_db, q)
        import sqlite3
        con = sqlite3.connect(str(Path(self.home) / "repository/database/WSO2AM_DB.db"), timeout=30)
        try:
            return [tuple(str(v) for v in row) for row in con.execute(query, args).fetchall()]
        finally:
            con.close()


def auth(token):
    return {"Authorization": f"Bearer {token}"} if token else {}


def signup_envelope(user, password, email):
    """The request the Store's sign-up page sends (UserRegistrationAdminService.wsdl)."""
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsd="http://org.apache.axis2/xsd" '
        'xmlns:xsd1="http://dto.registration.user.identity.carbon.wso2.org/xsd">'
        "<soapenv:Body><xsd:addUser><xsd:user>"
        f"<xsd1:password>{escape(password)}</xsd1:password>"
        "<xsd1:userFields><xsd1:claimUri>http://wso2.org/claims/emailaddress</xsd1:claimUri>"
        f"<xsd1:fieldValue>{escape(email)}</xsd1:fieldValue></xsd1:userFields>"
        f"<xsd1:userName>{escape(user)}</xsd1:userName>"
        "</xsd:user></xsd:addUser></soapenv:Body></soapenv:Envelope>")


@pytest.fixture(scope="module", params=["sqlite", "mariadb"])
def store(request, tmp_path_factory, apimd_bin, api_tool):
    mysql = None
    offset = free_offset()
    # with the synapse-configs a distribution ships (the fault sequence ...)
    home = make_carbon_home(tmp_path_factory.mktemp("store"), offset, edits=[shipped_synapse_configs])
    if request.param == "mariadb":
        mariadb = request.getfixturevalue("mariadb")
        carbon_db = mariadb.create_database("stcarbon")
        am_db = mariadb.create_database("stapim")
        mariadb.run_sql_file(carbon_db, REPO / "dbscripts/mysql.sql")
        mariadb.run_sql_file(am_db, REPO / "dbscripts/apimgt/mysql.sql")
        mysql_datasources(home, mariadb, carbon_db, am_db)
        mysql = (mariadb, am_db)
    backend = Backend("store-backend")
    proc = ApimdProcess(apimd_bin, home, offset=offset).start()
    try:
        s = Store(proc, home, api_tool, backend, mysql)
        s.apis = {
            "pizza": s.api(name="PizzaShackAPI", context="/pizzashack", status="PUBLISHED", deploy=True,
                           tags=["food", "pizza"], description="Pizza for everyone"),
            "proto": s.api(name="ProtoAPI", context="/proto", status="PROTOTYPED", tags=["food"]),
            "draft": s.api(name="DraftAPI", context="/draft"),
            "old": s.api(name="OldAPI", context="/old", status="DEPRECATED"),
            "gold": s.api(name="GoldAPI", context="/gold", status="PUBLISHED", visibility="restricted",
                          visibleRoles=["gold-customers"], tags=["vip"]),
            "httpsonly": s.api(name="SecureAPI", context="/secure", status="PUBLISHED",
                               transports=["https"]),
        }
        yield s
    finally:
        proc.stop()
        backend.close()


# ---- anonymous reads ----------------------------------------------------------------------------


def test_anonymous_api_list(store):
    r = store.get("/apis")
    assert r.status_code == 200, r.text
    body = r.json()
    names = [a["name"] for a in body["list"]]
    # published and prototyped, sorted; not created, deprecated or restricted ones
    assert names == ["PizzaShackAPI", "ProtoAPI", "SecureAPI"]
    assert body["count"] == 3 and body["next"] == "" and body["previous"] == ""
    pizza = body["list"][0]
    assert list(pizza) == ["id", "name", "description", "context", "version", "provider", "status"]
    assert re.match(UUID_RE, pizza["id"]) and pizza["id"] == store.apis["pizza"]["id"]
    assert pizza["context"] == "/pizzashack/1.0.0" and pizza["status"] == "PUBLISHED"

    page = store.get("/apis", params={"limit": 1, "offset": 1}).json()
    assert [a["name"] for a in page["list"]] == ["ProtoAPI"]
    assert page["next"] == "/apis?limit=1&offset=2&query=" and page["previous"] == "/apis?limit=1&offset=0&query="
    assert [a["name"] for a in store.get("/apis", params={"query": "pizza"}).json()["list"]] == ["PizzaShackAPI"]
    assert store.get("/apis", params={"query": "version:1.0.0 name:Proto*"}).json()["count"] == 1
    bad = store.get("/apis", params={"query": "colour:red"})
    assert bad.status_code == 400 and bad.json()["message"] == "Bad Request"
    assert store.get("/apis", params={"limit": "x"}).status_code == 400


def test_anonymous_api_details(store):
    pizza = store.apis["pizza"]["id"]
    r = store.get(f"/apis/{pizza}")
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["context"] == "/pizzashack/1.0.0" and a["tiers"] == ["Gold", "Unlimited"]
    assert a["transport"] == ["http", "https"] and sorted(a["tags"]) == ["food", "pizza"]
    assert a["description"] == "Pizza for everyone" and a["isDefaultVersion"] is False
    assert json.loads(a["apiDefinition"])["swagger"] == "2.0"
    ports = store.proc.ports
    [env] = a["endpointURLs"]
    assert env["environmentName"] == "Production and Sandbox" and env["environmentType"] == "hybrid"
    urls = env["environmentURLs"]
    assert re.match(rf"^http://[^/]+:{ports['nio_http']}/pizzashack/1\.0\.0$", urls["http"]), urls
    assert re.match(rf"^https://[^/]+:{ports['nio_https']}/pizzashack/1\.0\.0$", urls["https"]), urls
    # https only: no http URL
    secure = store.get(f"/apis/{store.apis['httpsonly']['id']}").json()
    assert secure["endpointURLs"][0]["environmentURLs"]["http"] is None
    assert secure["endpointURLs"][0]["environmentURLs"]["https"].endswith("/secure/1.0.0")

    # provider-name-version works as an id too
    same = store.get("/apis/admin-PizzaShackAPI-1.0.0").json()
    assert same["id"] == pizza
    sw = store.get(f"/apis/{pizza}/swagger")
    assert sw.status_code == 200 and sw.headers["Content-Type"].startswith("application/json")
    assert "/menu" in sw.json()["paths"]

    # a deprecated API is readable but not listed; created ones and restricted ones are not
    assert store.get(f"/apis/{store.apis['old']['id']}").status_code == 200
    for key in ("draft", "gold"):
        r = store.get(f"/apis/{store.apis[key]['id']}")
        assert r.status_code == 403, r.text
        assert r.json()["description"] == f"You don't have permission to access the API with Id {store.apis[key]['id']}"
    r = store.get("/apis/6d7c7c4a-0000-4000-8000-000000000000")
    assert r.status_code == 404
    assert r.json()["description"] == "Requested API with Id '6d7c7c4a-0000-4000-8000-000000000000' not found"


def test_tiers_and_tags(store):
    tiers = store.get("/tiers/api").json()
    assert [t["name"] for t in tiers["list"]] == ["Bronze", "Gold", "Silver", "Unlimited"]
    gold = tiers["list"][1]
    assert gold == {"name": "Gold", "description": "Allows 5000 requests per minute", "tierLevel": "api",
                    "attributes": {}, "requestCount": 5000, "unitTime": 1, "tierPlan": "FREE",
                    "stopOnQuotaReach": True}
    app_tiers = [t["name"] for t in store.get("/tiers/application").json()["list"]]
    assert app_tiers == ["10PerMin", "20PerMin", "50PerMin", "Unlimited"]
    one = store.get("/tiers/application/20PerMin").json()
    assert one["requestCount"] == 20 and one["tierLevel"] == "application"
    assert store.get("/tiers/api/Nope").status_code == 404
    assert store.get("/tiers/resource").status_code == 400
    tags = store.get("/tags").json()
    # the restricted API's "vip" tag is not shown to an anonymous caller
    assert tags["list"] == [{"name": "food", "weight": 2}, {"name": "pizza", "weight": 1}]


def test_unauthenticated(store):
    for method, path in (("GET", "/applications"), ("POST", "/applications"), ("GET", "/subscriptions"),
                         ("POST", "/applications/generate-keys?applicationId=x")):
        r = store.http.request(method, store.url(path), json={}, timeout=20)
        assert r.status_code == 401, (method, path, r.text)
        assert r.json()["description"] == "Unauthenticated request"
    r = store.get("/applications", token="0c6e5e3c-c4a2-3a0c-9a8b-1b2c3d4e5f60")
    assert r.status_code == 401
    # a token without apim:subscribe
    tok = store.login("admin", "admin", scopes=("apim:api_view",))
    assert store.get("/applications", token=tok).status_code == 401
    # anonymous routes check a token that is sent
    assert store.get("/apis", token="0c6e5e3c-c4a2-3a0c-9a8b-1b2c3d4e5f60").status_code == 401


# ---- the consumer flow ------------------------------------------------------------------------


def test_applications_keys_subscriptions_gateway(store):
    tok = store.login("admin", "admin")
    # the first call makes the subscriber and its DefaultApplication
    apps = store.get("/applications", token=tok)
    assert apps.status_code == 200, apps.text
    assert [a["name"] for a in apps.json()["list"]] == ["DefaultApplication"]
    assert store.sql("SELECT COUNT(*) FROM AM_SUBSCRIBER WHERE USER_ID = ?", "admin") == [("1",)]
    # a restricted API the admin (no gold-customers role) cannot see; /apis with a token
    assert "GoldAPI" not in [a["name"] for a in store.get("/apis", token=tok).json()["list"]]

    # create: 201 + Location; duplicate 409; bad tier 400; missing fields 400
    body = {"name": "PizzaApp", "throttlingTier": "Unlimited", "description": "orders", "callbackUrl": ""}
    r = store.post("/applications", body, token=tok)
    assert r.status_code == 201, r.text
    app = r.json()
    app_id = app["applicationId"]
    assert r.headers["Location"].endswith(f"{BASE}/applications/{app_id}")
    assert app["name"] == "PizzaApp" and app["subscriber"] == "admin" and app["status"] == "APPROVED"
    assert app["keys"] == []
    r = store.post("/applications", {**body, "name": "pizzaapp"}, token=tok)
    assert r.status_code == 409 and r.json()["message"] == "Resource Already Exists"
    r = store.post("/applications", {**body, "name": "Other", "throttlingTier": "Platinum"}, token=tok)
    assert r.status_code == 400, r.text
    r = store.post("/applications", {"description": "x"}, token=tok)
    assert r.status_code == 400
    assert sorted(e["code"] for e in r.json()["error"]) == ["400_name", "400_throttlingTier"]

    r = store.put(f"/applications/{app_id}", {**body, "description": "more orders",
                                               "throttlingTier": "20PerMin"}, token=tok)
    assert r.status_code == 200 and r.json()["throttlingTier"] == "20PerMin"
    listed = store.get("/applications", token=tok, params={"limit": 1}).json()
    assert listed["count"] == 1 and listed["next"] and listed["list"][0]["name"] == "DefaultApplication"
    assert [a["name"] for a in store.get("/applications", token=tok, params={"query": "pizza"}).json()["list"]] == ["PizzaApp"]

    # keys
    keys = {}
    for kt in ("PRODUCTION", "SANDBOX"):
        r = store.post("/applications/generate-keys", {"keyType": kt, "validityTime": "3600", "callbackUrl": "",
                                                       "accessAllowDomains": ["ALL"],
                                                       "scopes": ["am_application_scope", "default"]},
                       token=tok, params={"applicationId": app_id})
        assert r.status_code == 200, r.text
        k = r.json()
        assert k["keyType"] == kt and k["keyState"] == "APPROVED"
        assert re.match(r"^[A-Za-z0-9_]{28}$", k["consumerKey"]) and k["consumerSecret"]
        assert "client_credentials" in k["supportedGrantTypes"]
        assert k["token"]["accessToken"] and 0 < k["token"]["validityTime"] <= 3600
        assert "am_application_scope" in k["token"]["tokenScopes"]
        keys[kt] = k
    again = store.post("/applications/generate-keys", {"keyType": "PRODUCTION", "validityTime": "3600",
                                                        "accessAllowDomains": ["ALL"]},
                       token=tok, params={"applicationId": app_id})
    assert again.status_code == 409, again.text
    assert again.json()["description"] == f"Keys already generated for the application {app_id}"
    bad = store.post("/applications/generate-keys", {"keyType": "TEST", "validityTime": "x"}, token=tok,
                     params={"applicationId": app_id})
    assert bad.status_code == 400
    assert sorted(e["code"] for e in bad.json()["error"]) == ["400_accessAllowDomains", "400_keyType",
                                                              "400_validityTime"]
    full = store.get(f"/applications/{app_id}", token=tok).json()
    assert sorted((k["keyType"], k["consumerKey"]) for k in full["keys"]) == sorted(
        (kt, k["consumerKey"]) for kt, k in keys.items())
    assert all(k["keyState"] == "COMPLETED" for k in full["keys"])

    # subscriptions: not on a tier the API lacks, not to a prototyped API
    pizza = store.apis["pizza"]["id"]
    r = store.post("/subscriptions", {"tier": "Bronze", "apiIdentifier": pizza, "applicationId": app_id}, token=tok)
    assert r.status_code == 400, r.text
    r = store.post("/subscriptions", {"tier": "Gold", "apiIdentifier": store.apis["proto"]["id"],
                                      "applicationId": app_id}, token=tok)
    assert r.status_code == 404, r.text
    r = store.post("/subscriptions", {"tier": "Gold", "apiIdentifier": pizza}, token=tok)
    assert r.status_code == 400 and r.json()["error"][0]["code"] == "400_applicationId"
    r = store.post("/subscriptions", {"tier": "Gold", "apiIdentifier": pizza, "applicationId": app_id}, token=tok)
    assert r.status_code == 201, r.text
    sub = r.json()
    assert sub["apiIdentifier"] == "admin-PizzaShackAPI-1.0.0" and sub["status"] == "UNBLOCKED"
    assert sub["tier"] == "Gold" and sub["applicationId"] == app_id
    assert r.headers["Location"].endswith(f"/subscriptions/{sub['subscriptionId']}")
    dup = store.post("/subscriptions", {"tier": "Unlimited", "apiIdentifier": "admin-PizzaShackAPI-1.0.0",
                                        "applicationId": app_id}, token=tok)
    assert dup.status_code == 409, dup.text
    by_app = store.get("/subscriptions", token=tok, params={"applicationId": app_id}).json()
    assert [s["subscriptionId"] for s in by_app["list"]] == [sub["subscriptionId"]]
    by_api = store.get("/subscriptions", token=tok, params={"apiId": pizza}).json()
    assert [s["subscriptionId"] for s in by_api["list"]] == [sub["subscriptionId"]]
    assert store.get("/subscriptions", token=tok).status_code == 400
    assert store.get(f"/subscriptions/{sub['subscriptionId']}", token=tok).json() == sub

    # the generated application tokens work on the all-in-one gateway
    deadline = time.monotonic() + 20
    while True:
        r = store.gateway("/pizzashack/1.0.0/menu", keys["PRODUCTION"]["token"]["accessToken"])
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert r.status_code == 200, r.text
    assert r.json()["path"] == "/api/menu"
    r = store.gateway("/pizzashack/1.0.0/menu", keys["SANDBOX"]["token"]["accessToken"])
    assert r.status_code == 200 and r.json()["path"] == "/sandbox/menu", r.text
    assert store.gateway("/pizzashack/1.0.0/menu", "0c6e5e3c-c4a2-3a0c-9a8b-1b2c3d4e5f60").status_code == 401

    # unsubscribe, delete the application
    assert store.delete(f"/subscriptions/{sub['subscriptionId']}", token=tok).status_code == 200
    assert store.get(f"/subscriptions/{sub['subscriptionId']}", token=tok).status_code == 404
    assert store.delete(f"/applications/{app_id}", token=tok).status_code == 200
    assert store.get(f"/applications/{app_id}", token=tok).status_code == 404
    assert store.sql("SELECT COUNT(*) FROM AM_APPLICATION_KEY_MAPPING M WHERE M.CONSUMER_KEY = ?",
                     keys["PRODUCTION"]["consumerKey"]) == [("0",)]


# ---- self sign-up -----------------------------------------------------------------------------


def test_sign_up_then_log_in(store):
    r = store.signup("dora", "Dora-pass1", "dora@example.com")
    assert r.status_code == 202, r.text
    assert r.text == ""
    again = store.signup("DORA", "Dora-pass1")
    assert again.status_code == 500 and "<faultstring>User DORA already exists</faultstring>" in again.text
    assert "Client" in again.text
    nopass = store.signup("erin", "")
    assert nopass.status_code == 500 and "Password cannot be empty" in nopass.text
    junk = store.signup("x", "y", envelope="<not-soap/>")
    assert junk.status_code == 500 and "Fault" in junk.text
    # https only, as every Carbon admin service
    plain = http_session().post(store.proc.url(SIGNUP), data=signup_envelope("fred", "Fred-pass1", "f@x").encode(),
                                headers={"Content-Type": "text/xml"}, timeout=20)
    assert plain.status_code == 500 and "EPR" in plain.text

    # the new user logs in with apim:subscribe (Internal/subscriber) and sees only its own
    tok = store.login("dora", "Dora-pass1")
    apps = store.get("/applications", token=tok).json()
    assert [a["name"] for a in apps["list"]] == ["DefaultApplication"]
    assert all(a["subscriber"] == "dora" for a in apps["list"])
    admin_tok = store.login("admin", "admin")
    admin_default = store.get("/applications", token=admin_tok, params={"query": "DefaultApplication"}).json()
    other = admin_default["list"][0]["applicationId"]
    r = store.get(f"/applications/{other}", token=tok)
    assert r.status_code == 403, r.text
    assert r.json()["description"] == f"You don't have permission to access the application with Id {other}"

    assert user_exists(store, "dora") and not user_exists(store, "nobody-here")


def user_exists(store, name):
    r = store.http.post(store.proc.url(SIGNUP, https=True), timeout=20, headers={"Content-Type": "text/xml"},
                        data=('<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
                              '<ns:isUserExist xmlns:ns="http://org.apache.axis2/xsd"><ns:username>'
                              f'{escape(name)}</ns:username></ns:isUserExist></s:Body></s:Envelope>'))
    assert r.status_code == 200, r.text
    return re.search(r"<ns:return>(\w+)</ns:return>", r.text).group(1) == "true"


def test_sign_up_disabled_by_the_registry(store):
    """EnableSignup false in the tenant's sign-up-config.xml turns addUser off."""
    def is_enabled():
        r = store.http.post(store.proc.url(SIGNUP, https=True), timeout=20,
                            headers={"Content-Type": "application/soap+xml; charset=UTF-8"},
                            data=('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
                                  '<ns:isAddUserEnabled xmlns:ns="http://org.apache.axis2/xsd"/>'
                                  '</s:Body></s:Envelope>'))
        assert r.status_code == 200, r.text
        return re.search(r"<ns:return>(\w+)</ns:return>", r.text).group(1)

    assert is_enabled() == "true"
    config = ("<SelfSignUp><EnableSignup>false</EnableSignup><SignUpDomain>PRIMARY</SignUpDomain>"
              "<SignUpRoles><SignUpRole><RoleName>subscriber</RoleName><IsExternalRole>false"
              "</IsExternalRole></SignUpRole></SignUpRoles></SelfSignUp>")
    r = subprocess.run([str(store.tool), "--carbon-home", str(store.home), "--put",
                        "/_system/governance/apimgt/applicationdata/sign-up-config.xml", "application/xml"],
                       input=config, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    try:
        assert is_enabled() == "false"
        r = store.signup("gina", "Gina-pass1")
        assert r.status_code == 500 and "Self sign-up is disabled" in r.text
        assert not user_exists(store, "gina")
    finally:
        subprocess.run([str(store.tool), "--carbon-home", str(store.home), "--put",
                        "/_system/governance/apimgt/applicationdata/sign-up-config.xml", "application/xml"],
                       input=config.replace("false", "true", 1), capture_output=True, text=True, timeout=60)
    assert is_enabled() == "true"


@pytest.mark.parametrize("profile, served", [("api-store", True), ("api-devportal", True),
                                             ("api-publisher", False), ("gateway-worker", False)])
def test_profiles(apimd_factory, profile, served):
    proc = apimd_factory(profile=profile)
    with http_session() as s:
        r = s.get(proc.url(BASE + "/apis", https=True), timeout=20)
        assert (r.status_code == 200) == served, r.text
        if served:
            assert r.json() == {"count": 0, "next": "", "previous": "", "list": []}
        r = s.post(proc.url(SIGNUP, https=True), data=signup_envelope("hal", "Hal-pass1", "h@x").encode(),
                   headers={"Content-Type": "text/xml"}, timeout=20)
        assert (r.status_code == 202) == served, r.text
