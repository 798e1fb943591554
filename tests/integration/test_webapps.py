# SPDX-License-Identifier: Apache-2.0
"""The Publisher and Store web UIs and the PizzaShack sample on a real apimd:
which profile serves what, HTTPS with the security headers, the plain-HTTP
redirect, the Store's CSP naming the gateway origins, the sample backend."""

from __future__ import annotations

import filecmp
import re

import pytest

from conftest import REPO, http_session

WEBAPPS = REPO / "repository" / "deployment" / "server" / "jaggeryapps"
SAMPLE = "/am/sample/pizzashack/v1/api"


def get(proc, path, https=True, **kw):
    with http_session() as s:
        return s.get(proc.url(path, https=https), allow_redirects=False, timeout=10, **kw)


def assert_secure(r):
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self';" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_shared_files_agree():
    for f in ("js/rest.js", "js/ui.js", "css/app.css"):
        assert filecmp.cmp(WEBAPPS / "publisher" / f, WEBAPPS / "store" / f, shallow=False), f


def test_default_profile_serves_both(apimd):
    for app, script in (("publisher", "js/publisher.js"), ("store", "js/store.js")):
        r = get(apimd, f"/{app}")
        assert r.status_code == 301 and r.headers["Location"] == f"/{app}/"
        r = get(apimd, f"/{app}/")
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        assert f'src="{script}"' in r.text
        assert_secure(r)
        js = get(apimd, f"/{app}/{script}")
        assert js.status_code == 200
        assert js.headers["Content-Type"] == "text/javascript; charset=utf-8"
        again = get(apimd, f"/{app}/{script}", headers={"If-None-Match": js.headers["ETag"]})
        assert again.status_code == 304
        assert get(apimd, f"/{app}/js/").status_code == 404  # no listing
        assert get(apimd, f"/{app}/nope.js").status_code == 404


def test_plain_http_redirects_to_https(apimd):
    r = get(apimd, "/store/js/store.js?x=1", https=False, headers={"Host": "127.0.0.1:%d" % apimd.ports["mgt_http"]})
    assert r.status_code == 301
    assert r.headers["Location"] == "https://127.0.0.1:%d/store/js/store.js?x=1" % apimd.ports["mgt_https"]


def test_store_csp_allows_the_gateways(apimd):
    csp = get(apimd, "/store/").headers["Content-Security-Policy"]
    connect = re.search(r"connect-src ([^;]*)", csp).group(1).split()
    assert connect[0] == "'self'"
    # the gateway endpoints of the shipped api-manager.xml, with the offset
    assert any(o.endswith(":%d" % apimd.ports["nio_https"]) and o.startswith("https://") for o in connect), csp
    assert any(o.endswith(":%d" % apimd.ports["nio_http"]) and o.startswith("http://") for o in connect), csp
    pub = get(apimd, "/publisher/").headers["Content-Security-Policy"]
    assert re.search(r"connect-src 'self';", pub), pub


@pytest.mark.parametrize(
    "profile, publisher, store",
    [("api-publisher", 200, 404), ("api-store", 404, 200), ("api-devportal", 404, 200), ("api-key-manager", 404, 404)],
)
def test_profiles(apimd_factory, profile, publisher, store):
    proc = apimd_factory(profile=profile)
    assert get(proc, "/publisher/").status_code == publisher
    assert get(proc, "/store/").status_code == store
    assert get(proc, SAMPLE + "/menu").status_code == 404  # default profile only


def test_pizzashack_sample(apimd):
    with http_session() as s:
        menu = s.get(apimd.url(SAMPLE + "/menu", https=True), timeout=10)
        assert menu.status_code == 200
        names = [m["name"] for m in menu.json()]
        assert len(names) >= 5 and all(m["price"] and m["icon"] for m in menu.json())
        icon = s.get(apimd.url(menu.json()[0]["icon"], https=True), timeout=10)
        assert icon.status_code == 200 and icon.headers["Content-Type"] == "image/svg+xml"
        order = {"pizzaType": names[0], "quantity": 2, "customerName": "Grace", "address": "3 Loop Road"}
        r = s.post(apimd.url(SAMPLE + "/order", https=True), json=order, timeout=10)
        assert r.status_code == 201, r.text
        oid = r.json()["orderId"]
        assert r.headers["Location"] == f"{SAMPLE}/order/{oid}"
        r = s.put(apimd.url(f"{SAMPLE}/order/{oid}", https=True), json={**order, "quantity": 3}, timeout=10)
        assert r.status_code == 200 and r.json()["quantity"] == 3
        r = s.get(apimd.url(f"{SAMPLE}/delivery/{oid}", https=True), timeout=10)
        assert r.status_code == 200 and r.json()["status"] == "PREPARING"
        r = s.post(apimd.url(SAMPLE + "/order", https=True), json={**order, "pizzaType": "Nope"}, timeout=10)
        assert r.status_code == 400 and "not on the menu" in r.json()["description"]
        assert s.delete(apimd.url(f"{SAMPLE}/order/{oid}", https=True), timeout=10).status_code == 200
        r = s.get(apimd.url(f"{SAMPLE}/order/{oid}", https=True), timeout=10)
        assert r.status_code == 404 and r.json()["message"] == "Not Found"
