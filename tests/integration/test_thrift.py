# SPDX-License-Identifier: Apache-2.0
"""Key validation over Thrift, as a WSO2 2.x gateway does it.

A client generated at test time from src/thrift/*.thrift (``thrift --gen
py``) logs in with AuthenticatorService over HTTPS + TCompactProtocol at
/thriftAuthenticator, then calls APIKeyValidationService over TLS +
TBinaryProtocol (unframed) on the Thrift port, on rows seeded the way WSO2
2.6 and 2.1 write them (wso2rows.py).

What this proves:

* login: a session id for good credentials (stored in IDN_THRIFT_SESSION),
  WSO2's AuthenticationException messages otherwise; a bad session id is
  APIKeyMgtException "Invalid session id for thrift authenticator."; a
  session written by another Key Manager of the cluster is accepted, an
  expired one is not;
* every validation outcome (authorized with every DTO field; 900901,
  900905, 900907, 900908, 900909, 900910), the _default_ version,
  getAllURITemplates, validateKeyforHandshake, on the 2.6 and 2.1 schemas,
  on SQLite and MariaDB;
* the wire: unknown methods get TApplicationException and the connection
  lives on; unversioned (non-strict) headers are read; garbage, huge
  strings, huge containers and deep nesting close only that connection,
  with the reason logged;
* the server: many concurrent connections with one stuck client, idle
  connections closed after ThriftClientConnectionTimeOut,
  EnableThriftServer=false (port closed, login still served), an explicit
  ThriftServerPort used without the offset.
"""

from __future__ import annotations

import datetime as dt
from contextlib import closing
import importlib
import socket
import sqlite3
import ssl
import struct
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

import wso2rows
from conftest import REPO, ApimdProcess, free_offset, free_tcp_port, make_carbon_home, port_is_free
from test_server import mysql_datasources, wait_for
from wso2rows import Resource, Seed

THRIFT_DIR = REPO / "src" / "thrift"
AM_DB = "repository/database/WSO2AM_DB.db"
APIM_XML = "repository/conf/api-manager.xml"
INVALID_SESSION = "Invalid session id for thrift authenticator."


# ----- the generated client ---------------------------------------------------


@pytest.fixture(scope="module")
def gen(tmp_path_factory):
    """The Python modules thrift generates from our IDL."""
    out = tmp_path_factory.mktemp("thrift-py")
    for idl in ("keymgt.thrift", "authenticator.thrift"):
        subprocess.run(["thrift", "--gen", "py", "-out", str(out), str(THRIFT_DIR / idl)],
                       check=True, capture_output=True)
    sys.path.insert(0, str(out))
    try:
        mods = {name: importlib.import_module(name) for name in (
            "keymgt.APIKeyValidationService", "keymgt.ttypes",
            "authenticator.AuthenticatorService", "authenticator.ttypes")}
    finally:
        sys.path.remove(str(out))
    return type("Gen", (), {
        "KV": mods["keymgt.APIKeyValidationService"],
        "kv": mods["keymgt.ttypes"],
        "Auth": mods["authenticator.AuthenticatorService"],
        "auth": mods["authenticator.ttypes"],
    })


def insecure_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class KeyManager:
    """A running apimd seen as a gateway sees it."""

    def __init__(self, gen, proc: ApimdProcess, thrift_port: int | None = None):
        self.gen = gen
        self.proc = proc
        self.port = thrift_port or proc.ports["thrift"]
        self._sid = None

    def login(self, user="admin", password="admin") -> str:
        from thrift.protocol import TCompactProtocol
        from thrift.transport import THttpClient

        http = THttpClient.THttpClient(
            f"https://127.0.0.1:{self.proc.ports['mgt_https']}/thriftAuthenticator",
            ssl_context=insecure_context())
        client = self.gen.Auth.Client(TCompactProtocol.TCompactProtocol(http))
        try:
            return client.authenticate(user, password)
        finally:
            http.close()

    @property
    def sid(self) -> str:
        if self._sid is None:
            self._sid = self.login()
        return self._sid

    def connect(self, strict=True, timeout=10.0):
        """(client, transport) on a fresh TLS connection."""
        from thrift.protocol import TBinaryProtocol
        from thrift.transport import TSSLSocket

        sock = TSSLSocket.TSSLSocket("127.0.0.1", self.port, ssl_context=insecure_context())
        sock.setTimeout(timeout * 1000)
        sock.open()
        proto = TBinaryProtocol.TBinaryProtocol(sock, strictRead=strict, strictWrite=strict)
        return self.gen.KV.Client(proto), sock

    def validate(self, s: Seed, level="Any", resource="/menu", verb="GET", token=None,
                 version=None, context=None, sid=None):
        client, sock = self.connect()
        try:
            return client.validateKey(context or s.context, version or s.version,
                                      token or s.token, sid or self.sid, level, None,
                                      resource, verb)
        finally:
            sock.close()

    def raw(self) -> ssl.SSLSocket:
        """A bare TLS connection to the Thrift port."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        return insecure_context().wrap_socket(sock)


def start_km(apimd_bin, tmp_path, edits=(), offset=None, seeds=(), variant="2.6"):
    """apimd on a fresh home, with @seeds in its SQLite AM database (the
    2.1 shape first when @variant is 2.1: that needs a restart, since the
    schema is detected at start)."""
    home = make_carbon_home(tmp_path, offset if offset is not None else free_offset(),
                            edits=list(edits))
    proc = ApimdProcess(apimd_bin, home).start()
    if variant == "2.1":
        proc.stop()
        wso2rows.apply_sqlite(home / AM_DB, wso2rows.schema_21_sqlite())
    stmts = [st for s in seeds for st in wso2rows.seed_sql(s, variant)]
    if stmts:
        wso2rows.apply_sqlite(home / AM_DB, stmts)
    if variant == "2.1":
        proc = ApimdProcess(apimd_bin, home).start()
    return proc


THRIFT_OFF = (APIM_XML, "<EnableThriftServer>true</EnableThriftServer>",
              "<EnableThriftServer>false</EnableThriftServer>")


# ----- seeds: one application per outcome --------------------------------------

HOUR_AGO = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)
SCOPED = [Resource("/menu", "GET"),
          Resource("/order", "POST", auth="Application_User", tier="Gold"),
          Resource("/admin", "GET", scope="menu_admin", scope_roles=("admin",)),
          Resource("/vip", "GET", scope="menu_vip", scope_roles=("nobody-has-this",))]

S = {
    "ok": Seed(app_name="OkApp", resources=SCOPED,
               scopes=("am_application_scope", "default", "menu_admin", "menu_vip")),
    "user": Seed(app_name="UserApp", user_type="APPLICATION_USER", grant_type="password",
                 scopes=("default",)),
    "revoked": Seed(app_name="RevokedApp", token_state="REVOKED"),
    "expired": Seed(app_name="ExpiredApp", created=HOUR_AGO),
    "unsubscribed": Seed(app_name="LonelyApp", subscribe=False),
    "blocked": Seed(app_name="BlockedApp", sub_status="BLOCKED"),
    "prod_blocked": Seed(app_name="ProdOnlyApp", sub_status="PROD_ONLY_BLOCKED"),
    "sandbox": Seed(app_name="ProdOnlyApp", sub_status="PROD_ONLY_BLOCKED", key_type="SANDBOX"),
    "on_hold": Seed(app_name="OnHoldApp", sub_status="ON_HOLD"),
    "rejected": Seed(app_name="RejectedApp", sub_status="REJECTED"),
    "noscope": Seed(app_name="NoScopeApp"),
}


@pytest.fixture(scope="module")
def km(gen, apimd_bin, tmp_path_factory):
    """One server on SQLite with every seed of S."""
    proc = start_km(apimd_bin, tmp_path_factory.mktemp("km"), seeds=S.values())
    yield KeyManager(gen, proc)
    assert proc.stop() == 0
    # nothing the library or GLib complained about along the way
    assert not [l for l in proc.log_text().splitlines() if "ERROR" in l or "{GLib" in l]


# ----- login ------------------------------------------------------------------


def test_login_and_its_refusals(km):
    sid = km.login()
    assert str(uuid.UUID(sid)) == sid and uuid.UUID(sid).version == 4
    assert km.login() != sid
    rows = sqlite3.connect(km.proc.home / AM_DB).execute(
        "SELECT USER_NAME, CREATED_TIME, LAST_MODIFIED_TIME, TENANT_ID FROM IDN_THRIFT_SESSION"
        " WHERE SESSION_ID = ?", (sid,)).fetchall()
    assert len(rows) == 1
    user, created, modified, tenant = rows[0]
    assert (user, tenant) == ("admin", -1234)
    assert created == modified and abs(int(created) - time.time() * 1000) < 60_000

    AuthenticationException = km.gen.auth.AuthenticationException
    for user, password, message in [
        ("nobody", "admin", "Invalid User : nobody"),
        ("admin", "Pw-s3cret-guess", "User 'admin' not authenticated."),
        ("admin@", "admin", None),
        ("", "admin", None),
        ("admin", "", None),
    ]:
        with pytest.raises(AuthenticationException) as e:
            km.login(user, password)
        if message:
            assert e.value.message == message
    assert km.login("admin@carbon.super", "admin")
    log = km.proc.log_text()
    assert "Pw-s3cret-guess" not in log and sid not in log


def test_bad_session_is_refused(km, gen):
    with pytest.raises(gen.kv.APIKeyMgtException) as e:
        km.validate(S["ok"], sid=str(uuid.uuid4()))
    assert e.value.message == INVALID_SESSION
    client, sock = km.connect()
    with closing(sock):
        with pytest.raises(gen.kv.APIKeyMgtException):
            client.getAllURITemplates(S["ok"].context, S["ok"].version, "")
        with pytest.raises(gen.kv.APIKeyMgtException):
            client.validateKeyforHandshake(S["ok"].context, S["ok"].version, S["ok"].token, "x")
        # the connection survives an exception
        assert client.validateKey(S["ok"].context, S["ok"].version, S["ok"].token, km.sid, "Any",
                                  None, "/menu", "GET").authorized


def test_session_from_another_key_manager(km, gen):
    """IDN_THRIFT_SESSION is shared by a cluster: a row another node wrote
    is a valid session; one unused for longer than 30 minutes is not, and
    is removed."""
    fresh, stale = str(uuid.uuid4()), str(uuid.uuid4())
    now = int(time.time() * 1000)
    db = sqlite3.connect(km.proc.home / AM_DB)
    with db:
        for sid, ms in ((fresh, now - 60_000), (stale, now - 31 * 60_000)):
            db.execute("INSERT INTO IDN_THRIFT_SESSION VALUES (?, 'admin', ?, ?, -1234)",
                       (sid, str(ms), str(ms)))
    assert km.validate(S["ok"], sid=fresh).authorized
    touched = db.execute("SELECT LAST_MODIFIED_TIME FROM IDN_THRIFT_SESSION WHERE SESSION_ID = ?",
                         (fresh,)).fetchone()[0]
    assert int(touched) >= now
    with pytest.raises(gen.kv.APIKeyMgtException):
        km.validate(S["ok"], sid=stale)
    assert db.execute("SELECT COUNT(*) FROM IDN_THRIFT_SESSION WHERE SESSION_ID = ?",
                      (stale,)).fetchone()[0] == 0


# ----- validation outcomes --------------------------------------------------------


def test_authorized_with_every_field(km):
    s = S["ok"]
    info = km.validate(s)
    assert info.authorized is True
    assert info.validationStatus == 0
    assert info.subscriber == "admin"
    assert info.tier == "Unlimited"
    assert info.type == "PRODUCTION"
    assert info.endUserToken is None  # JWT generation is off in the shipped file
    assert info.endUserName == "admin@carbon.super"
    assert info.applicationName == "OkApp"
    assert info.applicationId.isdigit()
    assert info.applicationTier == "Unlimited"
    assert info.apiName == "PizzaShackAPI"
    assert info.consumerKey == s.consumer_key
    assert info.apiPublisher == "admin"
    assert info.scopes == set(s.scopes)
    assert info.validityPeriod == s.validity_ms
    assert abs(info.issuedTime - s.created.timestamp() * 1000) < 1000
    assert info.throttlingDataList == ["api_level_throttling_key"]
    assert info.subscriberTenantDomain == "carbon.super"
    assert info.isContentAware is False
    assert isinstance(info.spikeArrestLimit, int) and isinstance(info.stopOnQuotaReach, bool)
    assert km.validate(s, level="Application").authorized


@pytest.mark.parametrize("name, kwargs, status", [
    ("ok", {"token": "no-such-token"}, 900901),
    ("revoked", {}, 900901),
    ("expired", {}, 900901),
    ("ok", {"level": "Application_User"}, 900905),
    ("user", {"level": "Application"}, 900905),
    ("unsubscribed", {}, 900908),
    ("ok", {"context": "/other/1.0.0"}, 900908),
    ("blocked", {}, 900907),
    ("prod_blocked", {}, 900907),
    ("on_hold", {}, 900909),
    ("rejected", {}, 900909),
    ("noscope", {"resource": "/admin"}, 900910),
    ("ok", {"resource": "/vip"}, 900910),
])
def test_refusals(km, name, kwargs, status):
    info = km.validate(S[name], **kwargs)
    assert (info.authorized, info.validationStatus) == (False, status)


@pytest.mark.parametrize("name, kwargs", [
    ("user", {"level": "Application_User"}),
    ("sandbox", {}),
    ("ok", {"resource": "/admin"}),
    ("ok", {"version": "_default_1.0.0", "context": "/pizzashack"}),
])
def test_passes(km, name, kwargs):
    info = km.validate(S[name], **kwargs)
    assert info.authorized, info
    if name == "sandbox":
        assert info.type == "SANDBOX"


def test_uri_templates(km):
    client, sock = km.connect()
    with closing(sock):
        templates = client.getAllURITemplates(S["ok"].context, S["ok"].version, km.sid)
        assert client.getAllURITemplates("/none/1.0.0", "1.0.0", km.sid) == []
    got = {(t.uriTemplate, t.httpVerb): t for t in templates}
    assert set(got) == {("/menu", "GET"), ("/order", "POST"), ("/admin", "GET"), ("/vip", "GET")}
    order = got[("/order", "POST")]
    assert (order.authType, order.throttlingTier) == ("Application_User", "Gold")
    assert got[("/menu", "GET")].authType == "Any"


def test_handshake(km):
    client, sock = km.connect()
    with closing(sock):
        s = S["ok"]
        info = client.validateKeyforHandshake(s.context, s.version, s.token, km.sid)
        assert info.authorized and info.consumerKey == s.consumer_key
        info = client.validateKeyforHandshake(s.context, s.version, "nope", km.sid)
        assert (info.authorized, info.validationStatus) == (False, 900901)
        s = S["unsubscribed"]
        info = client.validateKeyforHandshake(s.context, s.version, s.token, km.sid)
        assert (info.authorized, info.validationStatus) == (False, 900908)


# ----- the wire -------------------------------------------------------------------


def test_unknown_method_and_non_strict_header(km, gen):
    from thrift.Thrift import TApplicationException, TMessageType

    client, sock = km.connect(strict=False)  # unversioned message headers
    with closing(sock):
        proto = client._iprot
        proto.writeMessageBegin("noSuchMethod", TMessageType.CALL, 7)
        proto.writeStructBegin("args")
        proto.writeFieldStop()
        proto.writeStructEnd()
        proto.writeMessageEnd()
        proto.trans.flush()
        name, mtype, seqid = proto.readMessageBegin()
        assert (name, mtype, seqid) == ("noSuchMethod", TMessageType.EXCEPTION, 7)
        x = TApplicationException()
        x.read(proto)
        proto.readMessageEnd()
        assert x.type == TApplicationException.UNKNOWN_METHOD
        s = S["ok"]
        assert client.validateKey(s.context, s.version, s.token, km.sid, "Any", None, "/menu",
                                  "GET").authorized


def call_header(name="validateKey", seqid=1) -> bytes:
    return struct.pack(">iI", -0x7FFEFFFF, len(name)) + name.encode() + struct.pack(">i", seqid)


def nested(depth: int) -> bytes:
    # an unknown field 99 holding a struct holding field 1 holding a struct ...
    return b"\x0c\x00\x63" + b"\x0c\x00\x01" * depth + b"\x00" * (depth + 1)


@pytest.mark.parametrize("payload, reason", [
    (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "string of"),
    (b"\x80\x02\x00\x01" + b"\x00" * 12, "bad message header"),
    (call_header() + b"\x0b\x00\x01\x7f\xff\xff\xff", "string of"),
    (call_header() + b"\x0f\x00\x63\x08\x3b\x9a\xca\x00", "list of"),
    (call_header() + b"\x0d\x00\x63\x0b\x0b\x7f\x00\x00\x00", "map of"),
    (call_header() + nested(200), "nested deeper"),
])
def test_bad_input_closes_only_that_connection(km, payload, reason):
    with km.raw() as bad:
        bad.sendall(payload)
        try:
            assert bad.recv(100) == b""
        except (ConnectionResetError, ssl.SSLError):
            pass
    assert km.validate(S["ok"]).authorized
    wait_for(lambda: reason in km.proc.log_text(), 5, f"'{reason}' in the log")
    assert km.proc.returncode is None


def test_many_connections_one_stuck(km):
    """Twenty gateway connections at once; one sent half a call and went
    quiet: everybody else is served meanwhile."""
    stuck = km.raw()
    stuck.sendall(call_header()[:6])
    conns = [km.connect() for _ in range(19)]
    results, errors = [], []

    def work(client):
        try:
            for _ in range(5):
                results.append(client.validateKey(S["ok"].context, S["ok"].version, S["ok"].token,
                                                  km.sid, "Any", None, "/menu", "GET").authorized)
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(c,)) for c, _ in conns]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors and results == [True] * 95
    assert time.monotonic() - start < 10
    for _, sock in conns:
        sock.close()
    stuck.close()


# ----- server settings --------------------------------------------------------------


def test_idle_connection_is_closed_after_the_timeout(gen, apimd_bin, tmp_path):
    proc = start_km(apimd_bin, tmp_path, seeds=[S["ok"]], edits=[(
        APIM_XML, "<ThriftClientConnectionTimeOut>10000</ThriftClientConnectionTimeOut>",
        "<ThriftClientConnectionTimeOut>1000</ThriftClientConnectionTimeOut>")])
    try:
        k = KeyManager(gen, proc)
        client, sock = k.connect()
        s = S["ok"]
        call = lambda: client.validateKey(s.context, s.version, s.token, k.sid, "Any", None,
                                          "/menu", "GET")
        # used more often than the timeout: stays open
        for _ in range(4):
            assert call().authorized
            time.sleep(0.5)
        # idle: closed by the server
        time.sleep(2.0)
        with pytest.raises(Exception):
            call()
        sock.close()
        assert k.validate(s).authorized  # a gateway reconnects
    finally:
        proc.stop()


def test_thrift_server_off(gen, apimd_bin, tmp_path):
    home = make_carbon_home(tmp_path, free_offset(), edits=[THRIFT_OFF])
    proc = ApimdProcess(apimd_bin, home).start()
    try:
        assert port_is_free(proc.ports["thrift"])
        assert "Started thrift key mgt service" not in proc.log_text()
        assert "EnableThriftServer" in proc.log_text()
        assert KeyManager(gen, proc).login()  # the identity component still serves logins
    finally:
        proc.stop()


def test_explicit_thrift_server_port(gen, apimd_bin, tmp_path):
    port = free_tcp_port()
    proc = start_km(apimd_bin, tmp_path, seeds=[S["ok"]], edits=[(
        APIM_XML, "<!--ThriftServerPort>10397</ThriftServerPort-->",
        f"<ThriftServerPort>{port}</ThriftServerPort>")])
    try:
        assert f"Started thrift key mgt service at port:{port}" in proc.log_text()
        assert port_is_free(proc.ports["thrift"])
        assert KeyManager(gen, proc, thrift_port=port).validate(S["ok"]).authorized
    finally:
        proc.stop()


def test_wso2_21_rows(gen, apimd_bin, tmp_path):
    seeds = [Seed(app_name="App21"), Seed(app_name="Blocked21", sub_status="BLOCKED")]
    proc = start_km(apimd_bin, tmp_path, seeds=seeds, variant="2.1")
    try:
        k = KeyManager(gen, proc)
        info = k.validate(seeds[0])
        assert info.authorized and info.applicationName == "App21"
        assert k.validate(seeds[1]).validationStatus == 900907
        assert k.validate(seeds[0], token="missing").validationStatus == 900901
    finally:
        proc.stop()


def test_mariadb(gen, mariadb, apimd_bin, tmp_path):
    carbon_db = mariadb.create_database("thcarbon")
    am_db = mariadb.create_database("thapim")
    mariadb.run_sql_file(carbon_db, REPO / "dbscripts/mysql.sql")
    mariadb.run_sql_file(am_db, REPO / "dbscripts/apimgt/mysql.sql")
    seeds = [S["ok"], S["blocked"], S["sandbox"], S["prod_blocked"], S["expired"]]
    wso2rows.apply_mariadb(mariadb, am_db,
                           [st for s in seeds for st in wso2rows.seed_sql(s)])
    home = make_carbon_home(tmp_path, free_offset())
    mysql_datasources(home, mariadb, carbon_db, am_db)
    proc = ApimdProcess(apimd_bin, home).start()
    try:
        k = KeyManager(gen, proc)
        with pytest.raises(gen.auth.AuthenticationException):
            k.login("admin", "nope")
        rows = mariadb.query(am_db, "SELECT USER_NAME, TENANT_ID FROM IDN_THRIFT_SESSION"
                                    f" WHERE SESSION_ID = '{k.sid}'")
        assert rows == [("admin", "-1234")]
        info = k.validate(S["ok"])
        assert info.authorized and info.scopes == set(S["ok"].scopes)
        assert k.validate(S["ok"], resource="/vip").validationStatus == 900910
        assert k.validate(S["blocked"]).validationStatus == 900907
        assert k.validate(S["prod_blocked"]).validationStatus == 900907
        assert k.validate(S["sandbox"]).authorized
        assert k.validate(S["expired"]).validationStatus == 900901
        with pytest.raises(gen.kv.APIKeyMgtException):
            k.validate(S["ok"], sid="bad")
        client, sock = k.connect()
        with closing(sock):
            assert len(client.getAllURITemplates(S["ok"].context, "1.0.0", k.sid)) == 4
    finally:
        proc.stop()
