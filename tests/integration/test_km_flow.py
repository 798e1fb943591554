"""The Key Manager end to end: a token issued by /oauth2/token validates
through the SOAP service, and revoking it tells the gateway environments
(WSO2's APIAuthenticationService.invalidateCachedTokens) at once and makes
validation refuse it, with the Key Manager cache on.

The gateway here is a small HTTPS server standing in for a WSO2 gateway's
admin service: it records what the Key Manager sends."""

from __future__ import annotations

import base64
import http.server
import ssl
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from test_oauth2 import Km, Sqlite
from test_soap import curl, dto, service_url, validate_body

REPO = Path(__file__).resolve().parents[2]
GW_AUTH_NS = "http://service.security.handlers.gateway.apimgt.carbon.wso2.org"
SERVER_PEM = REPO / "tests/data/keystores/server.pem"


class FakeGateway:
    """An HTTPS admin service that records POSTs."""

    def __init__(self):
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.cond = threading.Condition()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.cond:
                    outer.requests.append((self.path, dict(self.headers.items()), body))
                    outer.cond.notify_all()
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(SERVER_PEM))
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, n: int, timeout: float = 15.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.requests) < n:
                left = deadline - time.monotonic()
                assert left > 0, f"gateway got {len(self.requests)} calls, wanted {n}"
                self.cond.wait(left)
            return list(self.requests)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    g = FakeGateway()
    yield g
    g.close()


ENV_OLD = """<ServerURL>https://localhost:${mgt.transport.https.port}${carbon.context}services/</ServerURL>
                <Username>${admin.username}</Username>
                <Password>${admin.password}</Password>"""


def test_issue_validate_revoke_notify(apimd_factory, carbon_home_factory, http, gateway):
    home = carbon_home_factory()
    # the environment's admin service is the stand-in gateway; the Key
    # Manager cache is on, so only the revoke path can make it forget
    home.replace("repository/conf/api-manager.xml", ENV_OLD,
                 f"<ServerURL>https://127.0.0.1:{gateway.port}/services/</ServerURL>\n"
                 "                <Username>gwadmin</Username>\n"
                 "                <Password>gw-secret</Password>")
    home.replace("repository/conf/api-manager.xml",
                 "<EnableKeyManagerTokenCache>false</EnableKeyManagerTokenCache>",
                 "<EnableKeyManagerTokenCache>true</EnableKeyManagerTokenCache>")
    proc = apimd_factory(home)
    km = Km(proc, Sqlite(home), http)

    r = km.token({"grant_type": "client_credentials"})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]

    fields, _ = dto(curl(service_url(proc), validate_body(km.seed, token=token)))
    assert fields["authorized"] == ["true"]
    assert fields["consumerKey"] == [km.seed.consumer_key]
    assert fields["type"] == ["PRODUCTION"]
    assert fields["userType"] == ["APPLICATION"]
    assert fields["endUserName"] == ["admin@carbon.super"]

    r = km.revoke({"token": token})
    assert r.status_code == 200, r.text
    assert r.headers.get("RevokedAccessToken") == token

    path, headers, body = gateway.wait(1)[0]
    assert path == "/services/APIAuthenticationService"
    assert headers.get("SOAPAction").strip('"') == "urn:invalidateCachedTokens"
    assert headers.get("Authorization") == "Basic " + base64.b64encode(b"gwadmin:gw-secret").decode()
    root = ET.fromstring(body)
    op = root.find(f"./{{*}}Body/{{{GW_AUTH_NS}}}invalidateCachedTokens")
    assert op is not None, body
    assert [e.text for e in op.findall(f"{{{GW_AUTH_NS}}}accessTokens")] == [token]

    # the cached "authorized" is gone too
    fields, _ = dto(curl(service_url(proc), validate_body(km.seed, token=token)))
    assert fields["authorized"] == ["false"]
    assert fields["validationStatus"] == ["900901"]
    # and no secret of the gateway or token reached the log
    log = proc.log_text()
    assert token not in log and "gw-secret" not in log


def test_password_token_validates_for_application_user(apimd_factory, carbon_home_factory, http):
    home = carbon_home_factory()
    proc = apimd_factory(home)
    km = Km(proc, Sqlite(home), http)
    r = km.token({"grant_type": "password", "username": "admin", "password": "admin"})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]

    fields, _ = dto(curl(service_url(proc), validate_body(km.seed, token=token, level="Application_User")))
    assert fields["authorized"] == ["true"]
    assert fields["userType"] == ["APPLICATION_USER"]
    # a user token on an application-only resource
    fields, _ = dto(curl(service_url(proc), validate_body(km.seed, token=token, level="Application")))
    assert fields["validationStatus"] == ["900905"]
