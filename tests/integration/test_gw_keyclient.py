# SPDX-License-Identifier: Apache-2.0
"""The gateway's key validation client (src/gateway/am-gw-keyclient.c)
against a real Key Manager apimd, through tests/gateway/kv-probe.

What this proves, for ThriftClient and WSClient alike:

* authorized results carry the DTO's fields; refusals (900901 revoked,
  900908 not subscribed) are results, not errors; getAllURITemplates; the
  async wrapper answers on the caller's context with the request copied;
* the Key Manager stopped: a clear "unavailable" error; started again: the
  same client recovers on fresh connections;
* bad credentials: a login error naming the user, never the password;
* Thrift: a pooled connection the Key Manager dropped as idle
  (ThriftClientConnectionTimeOut) is replaced through the re-login and
  retry path;
* APIAuthenticationService on a gateway node's management HTTPS port,
  called as the Key Manager calls it, drops that token's cached results
  (and only those); bad credentials are refused.
"""

from __future__ import annotations

import json
import select
import shutil
import sqlite3
import subprocess
import time

import pytest

from conftest import REPO, ApimdProcess, free_offset, make_carbon_home, ports_for
from test_thrift import AM_DB, APIM_XML, start_km
from wso2rows import Resource, Seed

PROBE = REPO / "tests" / "gateway" / "kv-probe"
ERROR_DOMAIN = "am-gw-keyclient-error-quark"
E_LOGIN, E_UNAVAILABLE = 1, 2

OK = Seed(app_name="GwOkApp", resources=[Resource("/menu", "GET"),
                                         Resource("/order", "POST", tier="Gold")])
REVOKED = Seed(app_name="GwRevokedApp", token_state="REVOKED")
LONELY = Seed(app_name="GwLonelyApp", subscribe=False)
SEEDS = (OK, REVOKED, LONELY)


class Probe:
    """kv-probe as a child process: one client for its whole life."""

    def __init__(self, proc: ApimdProcess, client: str, password="admin", timeout_ms=10000,
                 node=None):
        if not PROBE.exists():
            pytest.skip(f"{PROBE} is not built: run make check")
        self.password = password
        self.p = subprocess.Popen(
            [str(PROBE), "--server-url", f"https://127.0.0.1:{proc.ports['mgt_https']}/services/",
             "--thrift-host", "127.0.0.1", "--thrift-port", str(proc.ports["thrift"]),
             "--client", client, "--user", "admin", "--password", password,
             "--timeout-ms", str(timeout_ms)]
            + (["--carbon-home", str(node[0]), "--offset", str(node[1])] if node else []),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def cmd(self, line: str, timeout: float = 30.0) -> dict:
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        ready, _, _ = select.select([self.p.stdout], [], [], timeout)
        assert ready, f"kv-probe did not answer {line.split()[0]}"
        out = self.p.stdout.readline()
        assert out, f"kv-probe exited: {self.p.stderr.read()}"
        return json.loads(out)

    def validate(self, s: Seed, resource="/menu", verb="GET", level="Any", how="validate"):
        return self.cmd(f"{how} {s.token} {s.context} {s.version} {resource} {verb} {level}")

    def close(self) -> str:
        self.p.stdin.close()
        assert self.p.wait(timeout=30) == 0
        err = self.p.stderr.read()
        self.p.stderr.close()
        self.p.stdout.close()
        return err


@pytest.fixture(scope="module")
def km(apimd_bin, tmp_path_factory):
    proc = start_km(apimd_bin, tmp_path_factory.mktemp("gwkm"), seeds=SEEDS)
    yield proc
    assert proc.stop() == 0


def thrift_sessions(proc: ApimdProcess) -> int:
    with sqlite3.connect(proc.home / AM_DB) as db:
        return db.execute("SELECT COUNT(*) FROM IDN_THRIFT_SESSION").fetchone()[0]


@pytest.mark.parametrize("client", ["thrift", "ws"])
def test_validate_authorized_and_refused(km, client):
    probe = Probe(km, client)
    try:
        r = probe.validate(OK)
        assert r["ok"], r
        info = r["info"]
        assert info["authorized"] is True
        assert info["validationStatus"] == 0
        assert info["subscriber"] == "admin"
        assert info["applicationName"] == "GwOkApp"
        assert info["type"] == "PRODUCTION"
        assert info["apiName"] == "PizzaShackAPI"
        assert info["apiPublisher"] == "admin"
        assert info["consumerKey"] == OK.consumer_key
        assert info["endUserName"].startswith("admin")
        assert info["validityPeriod"] == OK.validity_ms
        assert abs(info["issuedTime"] / 1000 - OK.created.timestamp()) < 2
        assert "default" in info["scopes"]

        revoked = probe.validate(REVOKED)
        assert revoked["ok"] and revoked["info"]["authorized"] is False
        assert revoked["info"]["validationStatus"] == 900901
        lonely = probe.validate(LONELY)
        assert lonely["ok"] and lonely["info"]["authorized"] is False
        assert lonely["info"]["validationStatus"] == 900908

        # the async wrapper: same answer, on the caller's context
        a = probe.validate(OK, how="async")
        assert a["ok"] and a["info"]["authorized"] is True
        assert a["info"]["consumerKey"] == OK.consumer_key

        t = probe.cmd(f"templates {OK.context} {OK.version}")
        assert t["ok"], t
        got = sorted((x["uriTemplate"], x["httpVerb"], x["throttlingTier"]) for x in t["templates"])
        assert got == [("/menu", "GET", "Unlimited"), ("/order", "POST", "Gold")]
        err = probe.close()
        assert "wrong thread" not in err
        assert OK.token not in err
    finally:
        if probe.p.poll() is None:
            probe.p.kill()


@pytest.mark.parametrize("client", ["thrift", "ws"])
def test_bad_credentials(km, client):
    probe = Probe(km, client, password="not-the-password")
    try:
        r = probe.validate(OK)
        assert r["ok"] is False
        assert r["domain"] == ERROR_DOMAIN and r["code"] == E_LOGIN, r
        assert "'admin'" in r["error"]
        assert "not-the-password" not in r["error"]
        probe.close()
    finally:
        if probe.p.poll() is None:
            probe.p.kill()


@pytest.mark.parametrize("client", ["thrift", "ws"])
def test_key_manager_restart(apimd_bin, tmp_path, client):
    proc = start_km(apimd_bin, tmp_path, seeds=[OK])
    probe = Probe(proc, client)
    try:
        assert probe.validate(OK)["info"]["authorized"] is True
        sessions = thrift_sessions(proc)
        assert proc.stop() == 0

        down = probe.validate(OK)
        assert down["ok"] is False
        assert down["domain"] == ERROR_DOMAIN and down["code"] == E_UNAVAILABLE, down

        # assigned before start(): `finally` stops it even if start() fails
        proc = ApimdProcess(apimd_bin, proc.home, offset=proc.offset)
        proc.start()
        back = probe.validate(OK)
        assert back["ok"], back
        assert back["info"]["authorized"] is True
        if client == "thrift":
            # the session lives in IDN_THRIFT_SESSION: it outlives the
            # restart, only the dead connections were replaced
            assert thrift_sessions(proc) >= sessions
        probe.close()
    finally:
        if probe.p.poll() is None:
            probe.p.kill()
        proc.stop()


def test_idle_connection_dropped_by_key_manager(apimd_bin, tmp_path):
    proc = start_km(apimd_bin, tmp_path, seeds=[OK], edits=[(
        APIM_XML, "<ThriftClientConnectionTimeOut>10000</ThriftClientConnectionTimeOut>",
        "<ThriftClientConnectionTimeOut>1000</ThriftClientConnectionTimeOut>")])
    probe = Probe(proc, "thrift")
    try:
        assert probe.validate(OK)["info"]["authorized"] is True
        sessions = thrift_sessions(proc)
        time.sleep(2.5)  # the Key Manager closes the idle pooled connection
        r = probe.validate(OK)
        assert r["ok"], r
        assert r["info"]["authorized"] is True
        # the retry went through a fresh login, as WSO2's client does
        assert thrift_sessions(proc) == sessions + 1
        probe.close()
    finally:
        if probe.p.poll() is None:
            probe.p.kill()
        proc.stop()


NOTIFY_BODY = (
    "<?xml version='1.0' encoding='UTF-8'?>"
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
    '<xsd:invalidateCachedTokens xmlns:xsd="http://org.apache.axis2/xsd">'
    "{tokens}</xsd:invalidateCachedTokens></soapenv:Body></soapenv:Envelope>")


def curl_invalidate(port: int, tokens, user="admin", password="admin") -> tuple[int, str]:
    """POST invalidateCachedTokens the way am-km-notify.c does (SOAP 1.1,
    SOAPAction, Basic credentials, the gateway's self-signed certificate)."""
    body = NOTIFY_BODY.format(tokens="".join(
        f"<xsd:accessTokens>{t}</xsd:accessTokens>" for t in tokens))
    out = subprocess.run(
        ["curl", "-sk", "-o", "-", "-w", "\n%{http_code}", "-u", f"{user}:{password}",
         "-H", "Content-Type: text/xml; charset=UTF-8",
         "-H", 'SOAPAction: "urn:invalidateCachedTokens"', "--data-binary", body,
         f"https://127.0.0.1:{port}/services/APIAuthenticationService"],
        check=True, capture_output=True, text=True, timeout=30).stdout
    text, _, code = out.rpartition("\n")
    return int(code), text


def test_invalidation_service_drops_cached_token(km, tmp_path):
    """A gateway node (apimd's core modules in kv-probe, with the cache and
    APIAuthenticationService) caches a result; the Key Manager's call
    drops it, and the next request asks the Key Manager again."""
    if not shutil.which("curl"):
        pytest.skip("curl is not installed")
    offset = free_offset()
    home = make_carbon_home(tmp_path, offset)
    probe = Probe(km, "thrift", node=(home, offset))
    try:
        first = probe.validate(OK, how="cached")
        assert first["ok"] and first["cached"] is False and first["info"]["authorized"]
        again = probe.validate(OK, how="cached")
        assert again["cached"] is True and again["info"]["authorized"]
        other = probe.validate(LONELY, how="cached")
        assert other["cached"] is False and other["info"]["validationStatus"] == 900908
        port = ports_for(offset)["mgt_https"]

        # wrong credentials change nothing
        status, body = curl_invalidate(port, [OK.token], password="wrong")
        assert status == 401 and "Authentication failed" in body
        assert probe.validate(OK, how="cached")["cached"] is True

        status, body = curl_invalidate(port, [OK.token, "never-cached-token"])
        assert status == 202, body
        assert body == ""
        after = probe.validate(OK, how="cached")
        assert after["cached"] is False and after["info"]["authorized"]
        # the other token's result stays
        assert probe.validate(LONELY, how="cached")["cached"] is True
        err = probe.close()
        assert "APIAuthenticationService.invalidateCachedTokens: 2 token(s), 1 cached" in err
        assert OK.token not in err
    finally:
        if probe.p.poll() is None:
            probe.p.kill()
