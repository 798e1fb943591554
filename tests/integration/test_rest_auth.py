"""REST API authentication end to end with a real apimd (spec §4, §4.1, §4.4).

What a Publisher/Store REST client of API-M 2.x does before its first REST
call: register an OAuth client at /client-registration/v0.11|v0.14/register
with its own credentials, then ask /oauth2/token for a password-grant token
with apim:* scopes, which are granted by role from tenant-conf.json's
RESTAPIScopes (the config registry copy first, then
repository/resources/tenant-conf.json, then the built-in 2.6 default).

Users are written into WSO2CARBON_DB the way Carbon's JDBC user store
writes them (salted SHA-256, Internal roles in UM_HYBRID_*).
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLIENT_ID_RE = r"^[A-Za-z0-9_]{27}a$"
ALL_REST_SCOPES = [
    "apim:api_view", "apim:api_create", "apim:api_publish", "apim:subscribe", "apim:tier_view",
    "apim:tier_manage", "apim:bl_view", "apim:bl_manage", "apim:subscription_view",
    "apim:subscription_block", "apim:mediation_policy_view", "apim:mediation_policy_create",
    "apim:api_workflow", "apim:app_owner_change", "apim:app_import_export", "apim:label_manage",
    "apim:label_read",
]


def add_user(home: Path, name: str, password: str, hybrid_roles=()) -> None:
    """A UM_USER row (and Internal role memberships) as Carbon writes them."""
    salt = base64.b64encode(hashlib.sha256(name.encode()).digest()[:16]).decode()
    digest = base64.b64encode(hashlib.sha256((password + salt).encode()).digest()).decode()
    con = sqlite3.connect(str(home / "repository/database/WSO2CARBON_DB.db"), timeout=30)
    try:
        con.execute(
            "INSERT INTO UM_USER (UM_USER_NAME, UM_USER_PASSWORD, UM_SALT_VALUE, UM_REQUIRE_CHANGE,"
            " UM_CHANGED_TIME, UM_TENANT_ID) VALUES (?, ?, ?, 0, '2019-03-04 05:06:07', -1234)",
            (name, digest, salt),
        )
        for role in hybrid_roles:
            con.execute(
                "INSERT INTO UM_HYBRID_USER_ROLE (UM_USER_NAME, UM_ROLE_ID, UM_TENANT_ID, UM_DOMAIN_ID)"
                " SELECT ?, R.UM_ID, -1234, D.UM_DOMAIN_ID FROM UM_HYBRID_ROLE R, UM_DOMAIN D"
                " WHERE R.UM_ROLE_NAME = ? AND R.UM_TENANT_ID = -1234"
                " AND D.UM_DOMAIN_NAME = 'PRIMARY' AND D.UM_TENANT_ID = -1234",
                (name, role),
            )
            assert con.execute("SELECT changes()").fetchone()[0] == 1, role
        con.commit()
    finally:
        con.close()


def put_registry_tenant_conf(home: Path, content: str) -> None:
    """The config registry resource /_system/config/apimgt/applicationdata/tenant-conf.json."""
    con = sqlite3.connect(str(home / "repository/database/WSO2CARBON_DB.db"), timeout=30)
    try:
        cur = con.execute(
            "INSERT INTO REG_PATH (REG_PATH_VALUE, REG_PATH_PARENT_ID, REG_TENANT_ID)"
            " VALUES ('/_system/config/apimgt/applicationdata', NULL, -1234)")
        path_id = cur.lastrowid
        cur = con.execute("INSERT INTO REG_CONTENT (REG_CONTENT_DATA, REG_TENANT_ID) VALUES (?, -1234)",
                          (content.encode(),))
        content_id = cur.lastrowid
        con.execute(
            "INSERT INTO REG_RESOURCE (REG_PATH_ID, REG_NAME, REG_MEDIA_TYPE, REG_CREATOR,"
            " REG_CREATED_TIME, REG_LAST_UPDATOR, REG_LAST_UPDATED_TIME, REG_DESCRIPTION,"
            " REG_CONTENT_ID, REG_TENANT_ID, REG_UUID) VALUES (?, 'tenant-conf.json', 'tenant-config',"
            " 'wso2.system.user', '2019-03-04 05:06:07', 'wso2.system.user', '2019-03-04 05:06:07',"
            " NULL, ?, -1234, '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b')",
            (path_id, content_id),
        )
        con.commit()
    finally:
        con.close()


@pytest.fixture
def server(apimd_factory, carbon_home_factory, http):
    home = carbon_home_factory()
    (home.path / "repository/resources").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "repository/resources/tenant-conf.json", home.path / "repository/resources/")
    proc = apimd_factory(home)
    add_user(home.path, "sub1", "sub1pass", ["subscriber"])
    add_user(home.path, "creator1", "creator1pass", ["creator"])
    add_user(home.path, "nobody", "nobodypass", [])
    return proc, home


def register(http, proc, user, password, body, version="v0.11"):
    auth = None if user is None else (user, password)
    return http.post(proc.url(f"/client-registration/{version}/register", https=True),
                     json=body, auth=auth, timeout=10)


def profile(owner, name="rest_api_publisher", **kw):
    p = {"callbackUrl": "www.google.lk", "clientName": name, "tokenScope": "Production",
         "owner": owner, "grantType": "password refresh_token", "saasApp": True}
    p.update(kw)
    return p


def token(http, proc, client, user, password, scopes):
    return http.post(proc.url("/oauth2/token", https=True),
                     data={"grant_type": "password", "username": user, "password": password,
                           "scope": " ".join(scopes)},
                     auth=(client["clientId"], client["clientSecret"]), timeout=10)


def am_db(home):
    return sqlite3.connect(str(home.path / "repository/database/WSO2AM_DB.db"), timeout=30)


def test_dcr_new_and_existing(server, http):
    proc, home = server
    r = register(http, proc, "admin", "admin", profile("admin"))
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert list(body) == ["clientId", "clientName", "callBackURL", "clientSecret",
                          "isSaasApplication", "appOwner", "jsonString"]
    assert body["clientName"] == "admin_rest_api_publisher"
    assert body["callBackURL"] == "www.google.lk"
    assert body["isSaasApplication"] is True and body["appOwner"] == "admin"
    assert len(body["clientId"]) == 28 and len(body["clientSecret"]) == 28
    assert json.loads(body["jsonString"]) == {"grant_types": "password refresh_token"}
    con = am_db(home)
    rows = con.execute("SELECT USERNAME, TENANT_ID, USER_DOMAIN, APP_NAME, GRANT_TYPES, CALLBACK_URL,"
                       " CONSUMER_SECRET, APP_STATE FROM IDN_OAUTH_CONSUMER_APPS WHERE CONSUMER_KEY = ?",
                       (body["clientId"],)).fetchall()
    con.close()
    assert rows == [("admin", -1234, "PRIMARY", "admin_rest_api_publisher", "password refresh_token",
                     "www.google.lk", body["clientSecret"], "ACTIVE")]

    # the same name again (v0.14 this time): the existing client, nothing new
    again = register(http, proc, "admin", "admin", profile("admin", grantType="client_credentials",
                                                           tokenType="JWT"), "v0.14")
    assert again.status_code == 200, again.text
    b2 = again.json()
    assert (b2["clientId"], b2["clientSecret"]) == (body["clientId"], body["clientSecret"])
    assert b2["tokenType"] == "JWT"
    assert json.loads(b2["jsonString"])["grant_types"] == "password refresh_token"
    con = am_db(home)
    assert con.execute("SELECT COUNT(*) FROM IDN_OAUTH_CONSUMER_APPS").fetchone()[0] == 1
    con.close()


def test_dcr_grant_types_without_callback(server, http):
    proc, home = server
    r = register(http, proc, "admin", "admin",
                 profile("admin", "cb", callbackUrl="", grantType="authorization_code implicit password"))
    assert r.status_code == 200, r.text
    assert json.loads(r.json()["jsonString"]) == {"grant_types": "password"}
    assert r.json()["callBackURL"] is None


def test_dcr_refusals(server, http):
    proc, home = server
    wrong_owner = register(http, proc, "admin", "admin", profile("sub1"))
    assert wrong_owner.status_code == 400
    assert wrong_owner.json() == {
        "code": 400, "message": "Bad Request",
        "description": "Logged in user 'admin' and application owner 'sub1' should be same.",
        "moreInfo": "", "error": []}
    bad_password = register(http, proc, "admin", "wrong", profile("admin"))
    assert bad_password.status_code == 401
    assert bad_password.headers.get("WWW-Authenticate", "").startswith("Basic")
    assert register(http, proc, None, None, profile("admin")).status_code == 401
    no_permission = register(http, proc, "nobody", "nobodypass", profile("nobody"))
    assert no_permission.status_code == 403
    assert no_permission.json()["description"] == "You do not have enough privileges to create an OAuth app"
    malformed = http.post(proc.url("/client-registration/v0.11/register", https=True),
                          data="{oops", headers={"Content-Type": "application/json"},
                          auth=("admin", "admin"), timeout=10)
    assert malformed.status_code == 400
    assert malformed.json()["description"] == "Malformed request body."
    assert http.get(proc.url("/client-registration/v0.11/register", https=True),
                    timeout=10).status_code == 405
    con = am_db(home)
    assert con.execute("SELECT COUNT(*) FROM IDN_OAUTH_CONSUMER_APPS").fetchone()[0] == 0
    con.close()
    # a subscriber may register for itself
    ok = register(http, proc, "sub1", "sub1pass", profile("sub1", "rest_api_store"))
    assert ok.status_code == 200 and ok.json()["clientName"] == "sub1_rest_api_store"


def test_rest_scopes_by_role(server, http):
    proc, home = server
    admin_client = register(http, proc, "admin", "admin", profile("admin")).json()
    t = token(http, proc, admin_client, "admin", "admin", ALL_REST_SCOPES + ["nonsense"])
    assert t.status_code == 200, t.text
    assert sorted(t.json()["scope"].split()) == sorted(ALL_REST_SCOPES)

    sub_client = register(http, proc, "sub1", "sub1pass", profile("sub1", "rest_api_store")).json()
    t = token(http, proc, sub_client, "sub1", "sub1pass",
              ["apim:subscribe", "apim:api_create", "apim:api_view"])
    assert t.status_code == 200, t.text
    assert t.json()["scope"] == "apim:subscribe"
    # what was granted is what the token row carries (the REST APIs read it)
    con = am_db(home)
    scopes = [r[0] for r in con.execute(
        "SELECT S.TOKEN_SCOPE FROM IDN_OAUTH2_ACCESS_TOKEN_SCOPE S JOIN IDN_OAUTH2_ACCESS_TOKEN T"
        " ON S.TOKEN_ID = T.TOKEN_ID WHERE T.ACCESS_TOKEN = ?", (t.json()["access_token"],))]
    con.close()
    assert scopes == ["apim:subscribe"]

    creator_client = register(http, proc, "creator1", "creator1pass", profile("creator1")).json()
    t = token(http, proc, creator_client, "creator1", "creator1pass",
              ["apim:api_create", "apim:api_view", "apim:api_publish", "apim:subscribe"])
    assert sorted(t.json()["scope"].split()) == ["apim:api_create", "apim:api_view"]

    # nothing grantable: "default"
    t = token(http, proc, sub_client, "sub1", "sub1pass", ["apim:tier_manage"])
    assert t.json()["scope"] == "default"


def test_tenant_conf_file_and_registry(server, http):
    proc, home = server
    client = register(http, proc, "sub1", "sub1pass", profile("sub1", "rest_api_store")).json()
    # role names are compared in lower case; a scope without roles is granted to anyone
    conf = {"RESTAPIScopes": {"Scope": [
        {"Name": "apim:api_create", "Roles": "admin,INTERNAL/SUBSCRIBER"},
        {"Name": "apim:subscribe", "Roles": "admin"},
        {"Name": "apim:tier_view", "Roles": ""}]}}
    (home.path / "repository/resources/tenant-conf.json").write_text(json.dumps(conf))
    t = token(http, proc, client, "sub1", "sub1pass", ["apim:api_create", "apim:subscribe", "apim:tier_view"])
    assert sorted(t.json()["scope"].split()) == ["apim:api_create", "apim:tier_view"]

    # the config registry copy wins over the file
    put_registry_tenant_conf(home.path, json.dumps({"RESTAPIScopes": {"Scope": [
        {"Name": "apim:subscribe", "Roles": "Internal/subscriber"}]}}))
    t = token(http, proc, client, "sub1", "sub1pass", ["apim:api_create", "apim:subscribe"])
    assert t.json()["scope"] == "apim:subscribe"


@pytest.mark.parametrize("profile_name", ["api-publisher", "api-store", "api-key-manager"])
def test_dcr_in_profiles(apimd_factory, carbon_home_factory, http, profile_name):
    """2.x deploys client-registration#v* in the key manager, publisher and
    store profiles; the gateway worker has none."""
    proc = apimd_factory(carbon_home_factory(profile=profile_name), profile=profile_name)
    r = register(http, proc, "admin", "admin", profile("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["clientName"] == "admin_rest_api_publisher"


def test_no_dcr_on_gateway_worker(apimd_factory, carbon_home_factory, http):
    proc = apimd_factory(carbon_home_factory(profile="gateway-worker"), profile="gateway-worker")
    assert register(http, proc, "admin", "admin", profile("admin")).status_code == 404
