"""APIGatewayAdmin end to end: a real apimd, SOAP 1.1 over HTTPS with HTTP
Basic admin:admin as a WSO2 2.x Publisher sends it (SOAPAction urn:<op>,
children qualified in the WSDL's namespace).

addApi writes the API file byte for byte under the synapse file name,
getApi answers APIData, updateApi replaces the file, deleteApi removes it;
a wrong password is refused with 401 and a malformed apiConfig with a fault,
both writing nothing; the gateway-worker profile has no such service, the
gateway-manager profile has it.
"""

import xml.etree.ElementTree as ET
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from conftest import REPO, http_session

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
NS = "http://service.gateway.apimgt.carbon.wso2.org"
DTO = "http://dto.gateway.apimgt.carbon.wso2.org/xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PATH = "/services/APIGatewayAdmin"
FIXTURE = REPO / "tests" / "data" / "synapse" / "api" / "admin--PizzaShackAPI_v1.0.0.xml"
FILE = "admin--PizzaShackAPI_v1.0.0.xml"
PIZZA = (("apiProviderName", "admin"), ("apiName", "PizzaShackAPI"), ("version", "1.0.0"))


def api_dir(proc) -> Path:
    return Path(proc.home) / "repository/deployment/server/synapse-configs/default/api"


def call(proc, op, children, *, auth=("admin", "admin")):
    """POST one operation; a fresh session each time, so that no JSESSIONID
    from an earlier call stands in for the credentials."""
    inner = "".join(f"<ser:{k}>{escape(v)}</ser:{k}>" for k, v in children)
    body = (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP11}" xmlns:ser="{NS}"><soapenv:Header/>'
        f"<soapenv:Body><ser:{op}>{inner}</ser:{op}></soapenv:Body></soapenv:Envelope>"
    )
    with http_session() as s:
        return s.post(
            proc.url(PATH, https=True),
            data=body.encode(),
            auth=auth,
            headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": f'"urn:{op}"'},
            timeout=20,
        )


def returned(reply, op):
    """The <return> element of a 200 <op>Response."""
    assert reply.status_code == 200, reply.text
    body = ET.fromstring(reply.content).find(f"{{{SOAP11}}}Body")
    response = body.find(f"{{{NS}}}{op}Response")
    assert response is not None, reply.text
    return response.find(f"{{{NS}}}return")


def fault_string(reply):
    assert reply.status_code == 500, reply.text
    return ET.fromstring(reply.content).find(f".//{{{SOAP11}}}Fault/faultstring").text


def test_deploy_update_delete(apimd):
    config = FIXTURE.read_bytes()
    r = returned(call(apimd, "addApi", PIZZA + (("apiConfig", config.decode()),)), "addApi")
    assert r.text == "true"
    assert sorted(p.name for p in api_dir(apimd).iterdir()) == [FILE]
    assert (api_dir(apimd) / FILE).read_bytes() == config

    data = returned(call(apimd, "getApi", PIZZA), "getApi")
    assert data.get(f"{{{XSI}}}type") == "ax21:APIData"
    assert data.find(f"{{{DTO}}}name").text == "admin--PizzaShackAPI:v1.0.0"
    assert data.find(f"{{{DTO}}}fileName").text == FILE
    assert data.find(f"{{{DTO}}}context").text == "/pizzashack/1.0.0"
    assert data.find(f"{{{DTO}}}port").text == "-1"
    resources = data.findall(f"{{{DTO}}}resources")
    assert [res.find(f"{{{DTO}}}urlMapping").text for res in resources[:2]] == ["/menu", "/order"]
    assert [m.text for m in resources[2].findall(f"{{{DTO}}}methods")] == ["GET", "PUT", "DELETE"]

    changed = config.replace(b'url-mapping="/menu"', b'url-mapping="/carte"')
    assert changed != config
    r = returned(call(apimd, "updateApi", PIZZA + (("apiConfig", changed.decode()),)), "updateApi")
    assert r.text == "true"
    assert (api_dir(apimd) / FILE).read_bytes() == changed
    assert sorted(p.name for p in api_dir(apimd).iterdir()) == [FILE]

    assert returned(call(apimd, "deleteApi", PIZZA), "deleteApi").text == "true"
    assert list(api_dir(apimd).iterdir()) == []
    gone = returned(call(apimd, "getApi", PIZZA), "getApi")
    assert gone.get(f"{{{XSI}}}nil") == "true"
    assert "No API exists by the name: admin--PizzaShackAPI:v1.0.0" in fault_string(
        call(apimd, "deleteApi", PIZZA)
    )


def test_wrong_password_writes_nothing(apimd):
    reply = call(apimd, "addApi", PIZZA + (("apiConfig", FIXTURE.read_text()),), auth=("admin", "wrong"))
    assert reply.status_code == 401
    assert list(api_dir(apimd).iterdir()) == []


@pytest.mark.parametrize(
    "config, reason",
    [
        (FIXTURE.read_text().replace("</api>", ""), "Invalid API definition: apiConfig:"),
        (FIXTURE.read_text().replace('context="/pizzashack/1.0.0" ', ""), "missing context"),
        (FIXTURE.read_text().replace('version="1.0.0"', 'version="2.0.0"'),
         "apiConfig defines the API 'admin--PizzaShackAPI:v2.0.0', but the call is for "
         "'admin--PizzaShackAPI:v1.0.0'"),
    ],
    ids=["not-well-formed", "no-context", "other-version"],
)
def test_malformed_config_faults(apimd, config, reason):
    reply = call(apimd, "addApi", PIZZA + (("apiConfig", config),))
    assert reason in fault_string(reply)
    assert list(api_dir(apimd).iterdir()) == []


def test_other_tenant_refused(apimd):
    reply = call(apimd, "addApiForTenant",
                 PIZZA + (("apiConfig", FIXTURE.read_text()), ("tenantDomain", "wso2.com")))
    assert "Tenant 'wso2.com' is not served by this gateway" in fault_string(reply)
    assert list(api_dir(apimd).iterdir()) == []


def test_gateway_worker_has_no_service(apimd_factory):
    worker = apimd_factory(profile="gateway-worker")
    reply = call(worker, "getApi", PIZZA)
    assert reply.status_code == 404
    assert list(api_dir(worker).iterdir()) == []


def test_gateway_manager_has_service(apimd_factory):
    manager = apimd_factory(profile="gateway-manager")
    r = returned(call(manager, "addApi", PIZZA + (("apiConfig", FIXTURE.read_text()),)), "addApi")
    assert r.text == "true"
    assert (api_dir(manager) / FILE).read_bytes() == FIXTURE.read_bytes()
