"""The SOAP APIKeyValidationService (KeyValidatorClientType=WSClient), end to
end with the real curl binary against a real apimd over HTTPS.

What a WSClient gateway relies on: validateKey / validateKeyforHandshake /
getAllURITemplates answered with the DTOs as Axis2 writes them (namespaces,
alphabetical children, xsi:nil), HTTP Basic auth against the user store with
the /permission/admin/manage check, the JSESSIONID session it replays, the
refusal codes of the validation chain, faults for bad envelopes and for a
broken database, SOAP 1.2, and the same flow on MariaDB.
"""

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from test_server import mysql_datasources
from wso2rows import Resource, Seed, apply_mariadb, apply_sqlite, seed_sql

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
AXIS2 = "http://org.apache.axis2/xsd"
DTO = "http://dto.impl.apimgt.carbon.wso2.org/xsd"
MODEL = "http://model.api.apimgt.carbon.wso2.org/xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PATH = "/services/APIKeyValidationService"

DTO_ORDER = [
    "apiName", "apiPublisher", "apiTier", "applicationId", "applicationName", "applicationTier",
    "authorized", "authorizedDomains", "consumerKey", "contentAware", "endUserName", "endUserToken",
    "issuedTime", "scopes", "spikeArrestLimit", "spikeArrestUnit", "stopOnQuotaReach", "subscriber",
    "subscriberTenantDomain", "throttlingDataList", "tier", "type", "userType", "validationStatus",
    "validityPeriod",
]


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case name -> list of values
        self.body = body

    def header(self, name):
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def xml(self):
        return ET.fromstring(self.body)


def curl(url, body, *, user="admin:admin", soap12=False, action=None, cookie=None, content_type=None):
    """POST body with curl; returns the status, headers and body."""
    if content_type is None:
        content_type = "application/soap+xml; charset=UTF-8" if soap12 else "text/xml; charset=UTF-8"
        if soap12 and action:
            content_type += f'; action="{action}"'
    cmd = ["curl", "-sS", "-k", "--max-time", "20", "-D", "-", "-X", "POST",
           "-H", f"Content-Type: {content_type}", "-H", "Expect:", "--data-binary", "@-"]
    if action and not soap12:
        cmd += ["-H", f'SOAPAction: "{action}"']
    if user:
        cmd += ["-u", user]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    r = subprocess.run(cmd + [url], input=body.encode(), capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr.decode()
    head, _, payload = r.stdout.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return Reply(int(lines[0].split()[1]), headers, payload.decode())


def envelope(op, children, soap12=False):
    ns = SOAP12 if soap12 else SOAP11
    inner = "".join(
        f'<xsd:{k} xsi:nil="true"/>' if v is None else f"<xsd:{k}>{v}</xsd:{k}>" for k, v in children
    )
    return (f'<soapenv:Envelope xmlns:soapenv="{ns}" xmlns:xsd="{AXIS2}" xmlns:xsi="{XSI}">'
            f"<soapenv:Header/><soapenv:Body><xsd:{op}>{inner}</xsd:{op}></soapenv:Body></soapenv:Envelope>")


def validate_body(seed, resource="/menu", verb="GET", level="Any", token=None, soap12=False):
    return envelope("validateKey", [
        ("context", seed.context), ("version", seed.version), ("accessToken", token or seed.token),
        ("requiredAuthenticationLevel", level), ("clientDomain", None),
        ("matchingResource", resource), ("httpVerb", verb)], soap12)


def service_url(proc, https=True, path=PATH):
    return proc.url(path, https=https)


def dto(reply, soap12=False, op="validateKeyResponse"):
    """The <return> element's children as {name: [texts]} plus their order."""
    root = reply.xml()
    assert root.tag == f"{{{SOAP12 if soap12 else SOAP11}}}Envelope"
    ret = root.find(f"./{{*}}Body/{{{AXIS2}}}{op}/{{{AXIS2}}}return")
    assert ret is not None, reply.body
    assert ret.get(f"{{{XSI}}}type", "").endswith(":APIKeyValidationInfoDTO")
    fields, order = {}, []
    for child in ret:
        ns, _, name = child.tag[1:].partition("}")
        assert ns == DTO, child.tag
        if name not in order:
            order.append(name)
        value = None if child.get(f"{{{XSI}}}nil") == "true" else (child.text or "")
        fields.setdefault(name, []).append(value)
    return fields, order


def fault(reply, soap12=False):
    """(code, reason, detail element names) of a fault reply."""
    root = reply.xml()
    f = root.find(f"./{{*}}Body/{{{SOAP12 if soap12 else SOAP11}}}Fault")
    assert f is not None, reply.body
    if soap12:
        code = f.findtext(f"./{{{SOAP12}}}Code/{{{SOAP12}}}Value")
        reason = f.findtext(f"./{{{SOAP12}}}Reason/{{{SOAP12}}}Text")
        detail = f.find(f"./{{{SOAP12}}}Detail")
    else:
        code, reason, detail = f.findtext("faultcode"), f.findtext("faultstring"), f.find("detail")
    return code, reason, [c.tag for c in detail] if detail is not None else []


def seed_sqlite(proc, *seeds):
    db = proc.home / "repository/database/WSO2AM_DB.db"
    apply_sqlite(db, [st for s in seeds for st in seed_sql(s)])


@pytest.fixture
def km(apimd_factory):
    return apimd_factory()


# ---- validateKey --------------------------------------------------------------


def test_validate_key_authorized_and_session(km):
    seed = Seed(resources=[Resource("/menu", "GET"), Resource("/order/{orderId}", "POST",
                                                              "Application_User", "Gold")],
                sub_tier="Gold")
    seed_sqlite(km, seed)
    r = curl(service_url(km), validate_body(seed), action="urn:validateKey")
    assert r.status == 200, r.body
    assert r.header("content-type").startswith("text/xml")
    fields, order = dto(r)
    assert order == [n for n in DTO_ORDER if n in order]  # alphabetical, as the XSD
    assert {"apiName", "authorized", "userType", "validationStatus", "validityPeriod",
            "throttlingDataList", "contentAware", "endUserToken"} <= set(order)
    assert fields["authorized"] == ["true"]
    assert fields["validationStatus"] == ["0"]
    assert fields["apiName"] == ["PizzaShackAPI"]
    assert fields["apiPublisher"] == ["admin"]
    assert fields["subscriber"] == ["admin"]
    assert fields["tier"] == ["Gold"]
    assert fields["type"] == ["PRODUCTION"]
    assert fields["applicationName"] == ["DefaultApplication"]
    assert fields["consumerKey"] == [seed.consumer_key]
    assert fields["userType"] == ["APPLICATION"]
    assert fields["endUserName"][0].startswith("admin")
    assert fields["endUserToken"] == [None]  # JWT generation is off: nil, as Axis2 writes null
    assert int(fields["validityPeriod"][0]) == 3600 * 1000
    assert int(fields["issuedTime"][0]) > 0

    # the session the gateway replays: no credentials needed with the cookie
    cookie = r.header("set-cookie")
    assert cookie and cookie.startswith("JSESSIONID=") and "Secure" in cookie
    session = cookie.split(";")[0]
    r2 = curl(service_url(km), validate_body(seed), user=None, cookie=session)
    assert r2.status == 200 and dto(r2)[0]["authorized"] == ["true"]
    assert r2.header("set-cookie") is None
    # an unknown session is no login
    r3 = curl(service_url(km), validate_body(seed), user=None, cookie="JSESSIONID=00FF")
    assert r3.status == 401


@pytest.mark.parametrize(
    "seed, call, status",
    [
        (Seed(token_state="REVOKED"), {}, 900901),
        (Seed(), {"token": "not-a-token"}, 900901),
        (Seed(subscribe=False), {}, 900908),
        (Seed(sub_status="BLOCKED"), {}, 900907),
        (Seed(sub_status="ON_HOLD"), {}, 900909),
        (Seed(resources=[Resource("/menu", "GET", "Application_User")]), {"level": "Application_User"}, 900905),
    ],
    ids=["revoked", "unknown", "unsubscribed", "blocked", "on-hold", "app-token-on-user-resource"],
)
def test_validate_key_refused(km, seed, call, status):
    seed_sqlite(km, seed)
    r = curl(service_url(km), validate_body(seed, **call), action="urn:validateKey")
    assert r.status == 200, r.body
    fields, _ = dto(r)
    assert fields["authorized"] == ["false"]
    assert fields["validationStatus"] == [str(status)]


def test_handshake_and_uri_templates(km):
    seed = Seed(resources=[Resource("/menu", "GET"), Resource("/order/{orderId}", "POST",
                                                              "Application_User", "Gold")])
    seed_sqlite(km, seed)
    body = envelope("validateKeyforHandshake", [
        ("context", seed.context), ("version", seed.version), ("accessToken", seed.token)])
    r = curl(service_url(km), body, action="urn:validateKeyforHandshake")
    assert r.status == 200, r.body
    fields, _ = dto(r, op="validateKeyforHandshakeResponse")
    assert fields["authorized"] == ["true"] and fields["apiName"] == ["PizzaShackAPI"]

    body = envelope("getAllURITemplates", [("context", seed.context), ("version", seed.version)])
    r = curl(service_url(km), body, action="urn:getAllURITemplates")
    assert r.status == 200, r.body
    rets = r.xml().findall(f"./{{*}}Body/{{{AXIS2}}}getAllURITemplatesResponse/{{{AXIS2}}}return")
    got = []
    for ret in rets:
        assert ret.get(f"{{{XSI}}}type", "").endswith(":URITemplate")
        assert all(c.tag.startswith(f"{{{MODEL}}}") for c in ret)
        got.append((ret.findtext(f"{{{MODEL}}}uriTemplate"), ret.findtext(f"{{{MODEL}}}HTTPVerb"),
                    ret.findtext(f"{{{MODEL}}}authType"), ret.findtext(f"{{{MODEL}}}throttlingTier")))
    assert sorted(got) == [("/menu", "GET", "Any", "Unlimited"),
                           ("/order/{orderId}", "POST", "Application_User", "Gold")]


def test_soap12(km):
    seed = Seed()
    seed_sqlite(km, seed)
    r = curl(service_url(km, path=PATH + ".APIKeyValidationServiceHttpsSoap12Endpoint"),
             validate_body(seed, soap12=True), soap12=True, action="urn:validateKey")
    assert r.status == 200, r.body
    assert r.header("content-type").startswith("application/soap+xml")
    fields, _ = dto(r, soap12=True)
    assert fields["authorized"] == ["true"]
    # a SOAP 1.1 envelope sent as SOAP 1.2 does not match
    r = curl(service_url(km), validate_body(seed), soap12=True)
    code, reason, _ = fault(r)
    assert r.status == 500 and "does not match" in reason


# ---- authentication ---------------------------------------------------------------


def test_authentication_and_permission(km):
    seed = Seed()
    seed_sqlite(km, seed)
    for user in ("admin:wrong", "nobody:admin", None):
        r = curl(service_url(km), validate_body(seed), user=user)
        assert r.status == 401, (user, r.body)
        assert r.header("www-authenticate", ).startswith("Basic")
        assert r.header("set-cookie") is None
        assert "authorized" not in r.body
    # a user with a good password but no /permission/admin/manage (no roles)
    apply_sqlite(km.home / "repository/database/WSO2CARBON_DB.db", [
        "INSERT INTO UM_USER (UM_USER_NAME, UM_USER_PASSWORD, UM_SALT_VALUE, UM_REQUIRE_CHANGE, "
        "UM_CHANGED_TIME, UM_TENANT_ID) VALUES ('bob', 'esJjDPC9KNCkHSiVZYeYSgODS+k1ZkWy5R3ee6UFcF4=', "
        "'AAAAAAAAAAAAAAAAAAAAAA==', 0, '2018-09-04 20:39:00', -1234)"])
    r = curl(service_url(km), validate_body(seed), user="bob:admin")
    assert r.status == 403, r.body
    code, reason, _ = fault(r)
    assert "not authorized" in reason
    assert r.header("set-cookie") is None
    log = km.log_text() + km.output_text()
    assert seed.token not in log and "wrong" not in log


def test_plain_http_is_refused(km):
    seed = Seed()
    seed_sqlite(km, seed)
    r = curl(service_url(km, https=False), validate_body(seed))
    assert r.status == 500
    code, reason, _ = fault(r)
    assert reason == f"The service cannot be found for the endpoint reference (EPR) {PATH}"
    assert "authorized" not in r.body


# ---- faults ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, expect",
    [
        ("<soapenv:Envelope xmlns:soapenv='%s'><soapenv:Body><oops" % SOAP11, "not XML"),
        (envelope("revokeEverything", [("context", "/x")]), "Operation not found"),
        (envelope("validateKey", [("context", "/pizzashack/1.0.0"), ("version", "1.0.0")]),
         "accessToken is missing"),
        ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + envelope("getAllURITemplates", []),
         "Document Type Declaration"),
        ("<Envelope xmlns='urn:not-soap'><Body/></Envelope>", "SOAP 1.1 and SOAP 1.2"),
    ],
    ids=["malformed", "unknown-operation", "missing-child", "doctype", "not-soap"],
)
def test_faults(km, body, expect):
    r = curl(service_url(km), body)
    assert r.status == 500, r.body
    code, reason, detail = fault(r)
    assert expect in reason
    assert code in ("soapenv:Client", "soapenv:VersionMismatch")
    assert detail == []


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversized_body_is_refused(km, chunked):
    cmd = ["curl", "-sS", "-k", "-o", "/dev/null", "-w", "%{http_code}", "-u", "admin:admin",
           "-H", "Content-Type: text/xml", "-H", "Expect:", "--data-binary", "@-", service_url(km)]
    if chunked:
        cmd[1:1] = ["-H", "Transfer-Encoding: chunked"]
    r = subprocess.run(cmd, input=b" " * 200_000, capture_output=True, timeout=30)
    assert r.stdout == b"413", r.stderr


def test_database_failure_is_key_mgt_exception(km):
    seed = Seed()
    seed_sqlite(km, seed)
    apply_sqlite(km.home / "repository/database/WSO2AM_DB.db", ["DROP TABLE AM_SUBSCRIPTION"])
    r = curl(service_url(km), validate_body(seed))
    assert r.status == 500, r.body
    code, reason, detail = fault(r)
    assert code == "soapenv:Server"
    assert detail == [f"{{{AXIS2}}}APIKeyValidationServiceAPIKeyMgtException"]
    assert seed.token not in km.log_text() + km.output_text()


# ---- MariaDB ---------------------------------------------------------------------


def test_main_flow_on_mariadb(mariadb, apimd_factory, carbon_home_factory):
    repo = Path(__file__).resolve().parents[2]
    carbon_db = mariadb.create_database("amcarbon")
    am_db = mariadb.create_database("amapim")
    mariadb.run_sql_file(carbon_db, repo / "dbscripts/mysql.sql")
    mariadb.run_sql_file(am_db, repo / "dbscripts/apimgt/mysql.sql")
    home = carbon_home_factory()
    mysql_datasources(home, mariadb, carbon_db, am_db)
    proc = apimd_factory(home)
    good, blocked = Seed(), Seed(app_name="BlockedApp", sub_status="BLOCKED")
    apply_mariadb(mariadb, am_db, seed_sql(good) + seed_sql(blocked))

    r = curl(service_url(proc), validate_body(good), action="urn:validateKey")
    assert r.status == 200, r.body
    fields, _ = dto(r)
    assert fields["authorized"] == ["true"] and fields["subscriber"] == ["admin"]
    session = r.header("set-cookie").split(";")[0]
    r = curl(service_url(proc), validate_body(blocked), user=None, cookie=session)
    assert dto(r)[0]["validationStatus"] == ["900907"]
    body = envelope("getAllURITemplates", [("context", good.context), ("version", good.version)])
    r = curl(service_url(proc), body, user=None, cookie=session)
    assert r.status == 200 and "<ax21:uriTemplate>/menu</ax21:uriTemplate>" in r.body
    assert curl(service_url(proc), validate_body(good), user="admin:nope").status == 401
