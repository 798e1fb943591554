"""The Key Manager's OAuth2 endpoints, end to end with a real apimd.

What an API-M 2.x client relies on from POST /oauth2/token and
/oauth2/revoke (spec §5): the three grant types, client authentication by
Basic header or form parameters, every RFC 6749 error WSO2 answers, token
reuse, revocation, and rows in IDN_OAUTH2_ACCESS_TOKEN that a WSO2 Key
Manager would read as its own (UTC TIME_CREATED, validity in ms, the 2.6
hash JSON, one scope row per scope) — on SQLite (2.6 and 2.1 shapes) and on
MariaDB.
"""

from __future__ import annotations

import base64
import re
import datetime as dt
import sqlite3
import uuid
from pathlib import Path

import pytest

import wso2rows
from test_server import mysql_datasources
from wso2rows import Seed, hash_json, scope_hash

REPO = Path(__file__).resolve().parents[2]
JSON_KEYS = ["access_token", "scope", "token_type", "expires_in"]
UUID_TOKEN = r"^[0-9a-f]{8}-[0-9a-f]{4}-3[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"


class Sqlite:
    """The server's WSO2AM_DB file."""

    def __init__(self, home):
        self.path = Path(home) / "repository/database/WSO2AM_DB.db"

    def apply(self, statements):
        wso2rows.apply_sqlite(self.path, statements)

    def query(self, sql, *args):
        con = sqlite3.connect(str(self.path), timeout=30)
        try:
            return [tuple("NULL" if v is None else str(v) for v in row) for row in con.execute(sql, args)]
        finally:
            con.close()


class Maria:
    def __init__(self, mariadb, db):
        self.mariadb, self.db = mariadb, db

    def apply(self, statements):
        wso2rows.apply_mariadb(self.mariadb, self.db, statements)

    def query(self, sql, *args):
        for a in args:  # test values only: no quotes inside
            sql = sql.replace("?", wso2rows.q(a), 1)
        return self.mariadb.query(self.db, sql)


class Km:
    """A running apimd with one OAuth client (a WSO2 2.6 Store's rows)."""

    def __init__(self, proc, db, http, variant="2.6"):
        self.proc, self.db, self.http, self.variant = proc, db, http, variant
        self.seed = self.client()

    def client(self, **kw) -> Seed:
        kw.setdefault("app_name", "App" + uuid.uuid4().hex[:8])
        kw.setdefault("token", None)
        s = Seed(**kw)
        self.db.apply(wso2rows.seed_sql(s, self.variant))
        return s

    def post(self, path, data, seed=None, basic=True, auth=None):
        seed = seed or self.seed
        headers = {}
        data = dict(data)
        if auth is not None:
            headers["Authorization"] = auth
        elif basic:
            pair = f"{seed.consumer_key}:{seed.consumer_secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        else:
            data.update(client_id=seed.consumer_key, client_secret=seed.consumer_secret)
        return self.http.post(self.proc.url(path, https=True), data=data, headers=headers, timeout=10)

    def token(self, data, **kw):
        return self.post("/oauth2/token", data, **kw)

    def revoke(self, data, **kw):
        return self.post("/oauth2/revoke", data, **kw)

    def row(self, token):
        rows = self.db.query(
            "SELECT TOKEN_ID, AUTHZ_USER, TENANT_ID, USER_DOMAIN, USER_TYPE, GRANT_TYPE, TIME_CREATED,"
            " VALIDITY_PERIOD, REFRESH_TOKEN_VALIDITY_PERIOD, TOKEN_SCOPE_HASH, TOKEN_STATE, TOKEN_STATE_ID,"
            " REFRESH_TOKEN FROM IDN_OAUTH2_ACCESS_TOKEN WHERE ACCESS_TOKEN = ?", token)
        assert len(rows) == 1, rows
        keys = ("id user tenant domain user_type grant created validity refresh_validity scope_hash"
                " state state_id refresh").split()
        return dict(zip(keys, rows[0]))

    def scopes(self, token_id):
        return sorted(r[0] for r in self.db.query(
            "SELECT TOKEN_SCOPE FROM IDN_OAUTH2_ACCESS_TOKEN_SCOPE WHERE TOKEN_ID = ?", token_id))


def sqlite_km(apimd_factory, carbon_home_factory, http, variant="2.6") -> Km:
    home = carbon_home_factory()
    proc = apimd_factory(home)
    db = Sqlite(home)
    if variant == "2.1":
        proc.stop()
        db.apply(wso2rows.schema_21_sqlite())
        proc = apimd_factory(home)
    return Km(proc, db, http, variant)


@pytest.fixture
def km(apimd_factory, carbon_home_factory, http) -> Km:
    return sqlite_km(apimd_factory, carbon_home_factory, http)


def assert_error(r, status, error, description=None):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert list(body) == ["error", "error_description"]
    assert body["error"] == error
    if description is not None:
        assert body["error_description"] == description
    if status == 401:
        assert r.headers["WWW-Authenticate"].startswith("Basic realm=")


def assert_utc_now(text):
    created = dt.datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.timezone.utc)
    assert abs((dt.datetime.now(dt.timezone.utc) - created).total_seconds()) < 60, text


# ---- client_credentials ------------------------------------------------------


def test_client_credentials_rows_as_wso2_writes_them(km):
    r = km.token({"grant_type": "client_credentials"})
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store" and r.headers["Pragma"] == "no-cache"
    body = r.json()
    assert list(body) == JSON_KEYS  # no refresh_token for client_credentials
    assert body["scope"] == "am_application_scope default"
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600

    assert re.match(UUID_TOKEN, body["access_token"])

    row = km.row(body["access_token"])
    assert (row["user"], row["tenant"], row["domain"]) == ("admin", "-1234", "PRIMARY")
    assert (row["user_type"], row["grant"]) == ("APPLICATION", "client_credentials")
    assert (row["validity"], row["refresh_validity"]) == ("3600000", "84600000")
    assert row["scope_hash"] == scope_hash(["am_application_scope", "default"])
    assert (row["state"], row["state_id"]) == ("ACTIVE", "NONE")
    assert_utc_now(row["created"])
    assert km.scopes(row["id"]) == ["am_application_scope", "default"]
    hashes = km.db.query("SELECT ACCESS_TOKEN_HASH, REFRESH_TOKEN_HASH FROM IDN_OAUTH2_ACCESS_TOKEN"
                         " WHERE TOKEN_ID = ?", row["id"])
    assert hashes == [(hash_json(body["access_token"]), hash_json(row["refresh"]))]
    uuid.UUID(row["id"], version=4)


def test_reuse_same_token_per_scope_set(km):
    first = km.token({"grant_type": "client_credentials"}).json()
    again = km.token({"grant_type": "client_credentials"}, basic=False).json()
    assert again["access_token"] == first["access_token"]
    # what is left, less identity.xml's TimestampSkew (300 s), as WSO2's issuer counts
    assert 3290 <= again["expires_in"] <= 3300
    # a scope that is not an API scope is dropped: still the same token
    same = km.token({"grant_type": "client_credentials", "scope": "foo"}).json()
    assert same["access_token"] == first["access_token"]
    # another scope set (an API scope without roles): another token; the first stays ACTIVE
    km.db.apply(["INSERT INTO IDN_OAUTH2_SCOPE (NAME, DISPLAY_NAME, TENANT_ID) VALUES ('foo', 'f', -1234)"])
    other = km.token({"grant_type": "client_credentials", "scope": "foo"}).json()
    assert other["access_token"] != first["access_token"]
    assert other["scope"] == "am_application_scope foo"
    assert km.row(first["access_token"])["state"] == "ACTIVE"


def test_validity_period_and_expired_token_replaced(km):
    # what API-M sends for "never expires"
    r = km.token({"grant_type": "client_credentials", "validity_period": "-2"})
    assert r.status_code == 200, r.text
    t1 = r.json()
    assert t1["expires_in"] == 9223372036854775  # Long.MAX_VALUE / 1000
    assert int(km.row(t1["access_token"])["validity"]) < 0
    assert km.token({"grant_type": "client_credentials"}).json()["access_token"] == t1["access_token"]
    # once its validity is over it is marked EXPIRED and replaced
    km.db.apply([f"UPDATE IDN_OAUTH2_ACCESS_TOKEN SET VALIDITY_PERIOD = 1000,"
                 f" TIME_CREATED = '2001-01-01 00:00:00' WHERE ACCESS_TOKEN = '{t1['access_token']}'"])
    t2 = km.token({"grant_type": "client_credentials", "validity_period": "60"}).json()
    assert t2["access_token"] != t1["access_token"] and t2["expires_in"] == 60
    assert km.row(t2["access_token"])["validity"] == "60000"
    old = km.row(t1["access_token"])
    assert old["state"] == "EXPIRED"
    uuid.UUID(old["state_id"])
    assert_error(km.token({"grant_type": "client_credentials", "validity_period": "soon"}),
                 400, "invalid_request")


# ---- errors ------------------------------------------------------------------


def test_client_authentication_errors(km):
    cc = {"grant_type": "client_credentials"}
    s = km.seed
    both = dict(cc, client_id=s.consumer_key, client_secret=s.consumer_secret)
    assert_error(km.token(both), 401, "invalid_client", "Client Authentication failed.")
    bad = Seed(consumer_key=s.consumer_key, consumer_secret="wrong")
    assert_error(km.token(cc, seed=bad), 401, "invalid_client", "Client Authentication failed.")
    assert_error(km.token(cc, seed=bad, basic=False), 401, "invalid_client")
    unknown = Seed(consumer_key="nobody", consumer_secret=s.consumer_secret)
    assert_error(km.token(cc, seed=unknown), 401, "invalid_client")
    assert_error(km.token(cc, auth="Basic !!!"), 401, "invalid_client")
    assert_error(km.token(cc, auth="Bearer x"), 401, "invalid_client")
    # an inactive application
    km.db.apply([f"UPDATE IDN_OAUTH_CONSUMER_APPS SET APP_STATE = 'REVOKED'"
                 f" WHERE CONSUMER_KEY = '{s.consumer_key}'"])
    assert_error(km.token(cc), 401, "invalid_client", "Oauth application is not in active state.")


def test_request_errors(km):
    assert_error(km.token({}), 400, "invalid_request", "Missing grant_type parameter value")
    assert_error(km.token({"grant_type": "authorization_code"}), 400, "unsupported_grant_type")
    assert_error(km.token({"grant_type": "password", "username": "admin"}), 400, "invalid_request")
    assert_error(km.token({"grant_type": "refresh_token"}), 400, "invalid_request")
    assert_error(km.token({"grant_type": "refresh_token", "refresh_token": "nope"}), 400, "invalid_grant")
    no_cc = km.client(grant_types="password refresh_token")
    assert_error(km.token({"grant_type": "client_credentials"}, seed=no_cc), 400, "unauthorized_client")
    url = km.proc.url("/oauth2/token", https=True)
    assert km.http.get(url, timeout=5).status_code == 405
    assert km.http.post(url, json={"grant_type": "password"}, timeout=5).status_code == 415


# ---- password and scopes -----------------------------------------------------


def test_password_grant_and_role_scopes(km):
    km.db.apply([
        "INSERT INTO IDN_OAUTH2_SCOPE (NAME, DISPLAY_NAME, TENANT_ID) VALUES ('menu_read', 'm', -1234)",
        "INSERT INTO IDN_OAUTH2_SCOPE (NAME, DISPLAY_NAME, TENANT_ID) VALUES ('menu_write', 'w', -1234)",
        "INSERT INTO IDN_OAUTH2_SCOPE (NAME, DISPLAY_NAME, TENANT_ID) VALUES ('open', 'o', -1234)",
        "INSERT INTO IDN_OAUTH2_SCOPE_BINDING (SCOPE_ID, SCOPE_BINDING) SELECT SCOPE_ID, 'admin'"
        " FROM IDN_OAUTH2_SCOPE WHERE NAME = 'menu_read'",
        "INSERT INTO IDN_OAUTH2_SCOPE_BINDING (SCOPE_ID, SCOPE_BINDING) SELECT SCOPE_ID, 'chef'"
        " FROM IDN_OAUTH2_SCOPE WHERE NAME = 'menu_write'",
    ])
    r = km.token({"grant_type": "password", "username": "admin", "password": "admin",
                  "scope": "menu_read menu_write open unknown"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == ["access_token", "refresh_token", "scope", "token_type", "expires_in"]
    assert body["scope"] == "menu_read open"
    row = km.row(body["access_token"])
    assert (row["user"], row["user_type"], row["grant"]) == ("admin", "APPLICATION_USER", "password")
    assert row["refresh"] == body["refresh_token"]
    assert km.scopes(row["id"]) == ["menu_read", "open"]
    # nothing grantable: "default"
    r = km.token({"grant_type": "password", "username": "admin@carbon.super", "password": "admin",
                  "scope": "menu_write"})
    assert r.json()["scope"] == "default"
    assert km.row(r.json()["access_token"])["user"] == "admin"
    assert_error(km.token({"grant_type": "password", "username": "admin", "password": "nope"}),
                 400, "invalid_grant")


# ---- refresh -----------------------------------------------------------------


def test_refresh_token_grant(km):
    first = km.token({"grant_type": "password", "username": "admin", "password": "admin"}).json()
    r = km.token({"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    new = r.json()
    assert new["access_token"] != first["access_token"]
    assert new["refresh_token"] != first["refresh_token"]  # RenewRefreshTokenForRefreshGrant
    assert new["scope"] == "default" and new["expires_in"] == 3600
    assert r.headers["DeactivatedAccessToken"] == first["access_token"]
    assert km.row(first["access_token"])["state"] == "EXPIRED"
    row = km.row(new["access_token"])
    assert (row["state"], row["grant"], row["user_type"]) == ("ACTIVE", "refresh_token", "APPLICATION_USER")
    # the spent refresh token, and another client's use of the new one
    assert_error(km.token({"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}),
                 400, "invalid_grant")
    other = km.client()
    assert_error(km.token({"grant_type": "refresh_token", "refresh_token": new["refresh_token"]}, seed=other),
                 400, "invalid_grant")
    # a narrower scope than the token has is refused
    assert_error(km.token({"grant_type": "refresh_token", "refresh_token": new["refresh_token"],
                           "scope": "more"}), 400, "invalid_scope")


# ---- revoke ------------------------------------------------------------------


def test_revoke_access_and_refresh_tokens(km):
    t = km.token({"grant_type": "password", "username": "admin", "password": "admin"}).json()
    r = km.revoke({"token": t["access_token"]})
    assert r.status_code == 200 and r.text == ""
    assert r.headers["RevokedAccessToken"] == t["access_token"]
    assert r.headers["AuthorizedUser"] == "admin"
    assert r.headers["RevokedRefreshToken"] == t["refresh_token"]
    assert r.headers["Cache-Control"] == "no-store"
    row = km.row(t["access_token"])
    assert row["state"] == "REVOKED"
    uuid.UUID(row["state_id"])
    # again, and an unknown token: still 200 (RFC 7009), nothing revoked
    for token in (t["access_token"], "unknown"):
        r = km.revoke({"token": token}, basic=False)
        assert r.status_code == 200 and "RevokedAccessToken" not in r.headers
    # a new token now, not the revoked one
    t2 = km.token({"grant_type": "password", "username": "admin", "password": "admin"}).json()
    assert t2["access_token"] != t["access_token"]
    # by refresh token
    r = km.revoke({"token": t2["refresh_token"], "token_type_hint": "refresh_token"})
    assert r.headers["RevokedAccessToken"] == t2["access_token"]
    assert km.row(t2["access_token"])["state"] == "REVOKED"
    assert_error(km.token({"grant_type": "refresh_token", "refresh_token": t2["refresh_token"]}),
                 400, "invalid_grant")
    # only the owner may revoke
    t3 = km.token({"grant_type": "client_credentials"}).json()
    assert_error(km.revoke({"token": t3["access_token"]}, seed=km.client()), 401, "invalid_client")
    assert km.row(t3["access_token"])["state"] == "ACTIVE"
    assert_error(km.revoke({}), 400, "invalid_request")


# ---- other schemas and databases -------------------------------------------


def test_wso2_21_schema_plain_tokens(apimd_factory, carbon_home_factory, http):
    km = sqlite_km(apimd_factory, carbon_home_factory, http, variant="2.1")
    t = km.token({"grant_type": "password", "username": "admin", "password": "admin"}).json()
    row = km.row(t["access_token"])
    assert row["state"] == "ACTIVE" and row["refresh"] == t["refresh_token"]
    r = km.token({"grant_type": "refresh_token", "refresh_token": t["refresh_token"]})
    assert r.status_code == 200, r.text
    r = km.revoke({"token": r.json()["access_token"]})
    assert "RevokedAccessToken" in r.headers


def test_mariadb_flow(mariadb, apimd_factory, carbon_home_factory, http):
    carbon_db = mariadb.create_database("amcarbon")
    am_db = mariadb.create_database("amapim")
    mariadb.run_sql_file(carbon_db, REPO / "dbscripts/mysql.sql")
    mariadb.run_sql_file(am_db, REPO / "dbscripts/apimgt/mysql.sql")
    home = carbon_home_factory()
    mysql_datasources(home, mariadb, carbon_db, am_db)
    km = Km(apimd_factory(home), Maria(mariadb, am_db), http)

    body = km.token({"grant_type": "client_credentials"}).json()
    row = km.row(body["access_token"])
    assert (row["validity"], row["state"], row["user_type"]) == ("3600000", "ACTIVE", "APPLICATION")
    assert_utc_now(row["created"])
    assert km.scopes(row["id"]) == ["am_application_scope", "default"]
    assert km.db.query("SELECT ACCESS_TOKEN_HASH FROM IDN_OAUTH2_ACCESS_TOKEN WHERE TOKEN_ID = ?",
                       row["id"]) == [(hash_json(body["access_token"]),)]
    assert km.token({"grant_type": "client_credentials"}).json()["access_token"] == body["access_token"]
    pw = km.token({"grant_type": "password", "username": "admin", "password": "admin"}).json()
    new = km.token({"grant_type": "refresh_token", "refresh_token": pw["refresh_token"]}).json()
    assert km.row(pw["access_token"])["state"] == "EXPIRED"
    assert km.revoke({"token": new["access_token"]}).headers["RevokedAccessToken"] == new["access_token"]
    assert km.row(new["access_token"])["state"] == "REVOKED"
