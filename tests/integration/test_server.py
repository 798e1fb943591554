"""The foundation, end to end with real apimd processes.

What a user of a WSO2 2.x installation relies on from the first start: the
all-in-one server on the embedded SQLite default (schema, admin user and a
development keystore created on first start, reused on the next), the
management ports with /services/Version and health checks, the port offset
moving every port, several instances on one host (the seed topology of a
control plane plus production and sandbox gateways), Carbon-format logs,
bad configuration reported with file and line before anything listens,
-T with secrets masked, SIGHUP and SIGUSR1, and MariaDB datasources.
"""

import os
import re
import signal
import socket
import sqlite3
import ssl
import subprocess
import time
import warnings
from pathlib import Path

import pytest
import requests

from conftest import free_offset, make_carbon_home, port_is_free

VERSION_BODY = (
    '<ns:getVersionResponse xmlns:ns="http://version.services.core.carbon.wso2.org">'
    "<return>WSO2 API Manager-2.6.0</return></ns:getVersionResponse>"
)
CARBON_LINE = re.compile(
    r"^TID: \[-1234\] \[\] \[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] +(INFO|WARN|ERROR|DEBUG) "
    r"\{([\w.]+)\} -  .* \{\2\}$"
)


def run_apimd(apimd_bin, home, *args, timeout=30):
    return subprocess.run(
        [str(apimd_bin), "--carbon-home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def wait_for(pred, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def listening(port):
    return not port_is_free(port)


# ---- the all-in-one server on SQLite -----------------------------------------


def test_all_in_one_first_start(apimd, http):
    """Version and health on both management ports, first-start artefacts."""
    for https in (False, True):
        r = http.get(apimd.url("/services/Version", https=https), timeout=5)
        assert r.status_code == 200
        assert r.text == VERSION_BODY
    r = http.get(apimd.url("/health/live"), timeout=5)
    assert r.status_code == 200 and r.json()["status"] == "pass"
    r = http.get(apimd.url("/health/ready", https=True), timeout=5)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/health+json")
    doc = r.json()
    assert doc["status"] == "pass"
    assert doc["details"]["WSO2AM_DB:responseTime"]["status"] == "pass"
    assert doc["details"]["WSO2_CARBON_DB:responseTime"]["componentType"] == "datastore"

    home = apimd.home
    # SQLite files where WSO2 keeps its H2 files, with the schema and the admin user
    carbon_db = home / "repository/database/WSO2CARBON_DB.db"
    am_db = home / "repository/database/WSO2AM_DB.db"
    assert carbon_db.is_file() and am_db.is_file()
    with sqlite3.connect(carbon_db) as db:
        rows = db.execute(
            "SELECT UM_USER_NAME, UM_TENANT_ID, length(UM_SALT_VALUE), length(UM_USER_PASSWORD) FROM UM_USER"
        ).fetchall()
        assert rows == [("admin", -1234, 24, 44)]
        roles = {r[0] for r in db.execute("SELECT UM_ROLE_NAME FROM UM_HYBRID_ROLE")}
        assert {"subscriber", "creator", "publisher", "everyone"} <= roles
        assert db.execute("SELECT COUNT(*) FROM REG_PATH").fetchone() is not None
    with sqlite3.connect(am_db) as db:
        gold = db.execute(
            "SELECT QUOTA FROM AM_POLICY_SUBSCRIPTION WHERE NAME='Gold' AND TENANT_ID=-1234"
        ).fetchone()
        assert gold == (5000,)
    # a development keystore, private to the server
    ks = home / "repository/resources/security/wso2carbon.jks"
    ts = home / "repository/resources/security/client-truststore.jks"
    assert ks.is_file() and ts.is_file()
    assert ks.stat().st_mode & 0o077 == 0
    assert ks.read_bytes()[:4] == b"\xfe\xed\xfe\xed"  # JKS, as carbon.xml says
    # pid file, Carbon log format
    assert (home / "wso2carbon.pid").read_text().strip() == str(apimd.pid)
    lines = [l for l in apimd.log_text().splitlines() if l]
    assert lines and all(CARBON_LINE.match(l) for l in lines), lines[:5]
    assert any("apimd started in" in l for l in lines)
    # console format on stdout
    assert re.search(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\]  INFO - am\.", apimd.output_text(), re.M)


def test_second_start_reuses_state(apimd_factory, carbon_home, http):
    first = apimd_factory(carbon_home)
    cert1 = ssl.get_server_certificate(("127.0.0.1", first.ports["mgt_https"]))
    assert first.stop() == 0
    assert not (carbon_home / "wso2carbon.pid").exists()
    assert "Creating the user store schema" in first.log_text()

    second = apimd_factory(carbon_home)
    cert2 = ssl.get_server_certificate(("127.0.0.1", second.ports["mgt_https"]))
    assert cert1 == cert2  # the generated keystore is kept
    log = second.log_text()
    assert log.count("Creating the user store schema") == 1
    assert log.count("Created the admin user") == 1
    assert http.get(second.url("/services/Version"), timeout=5).status_code == 200


def test_tls_is_1_2_or_newer(apimd):
    port = apimd.ports["mgt_https"]
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.check_hostname = False
    old.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old.minimum_version = ssl.TLSVersion.TLSv1
        old.maximum_version = ssl.TLSVersion.TLSv1_1
    try:
        old.set_ciphers("ALL:@SECLEVEL=0")
    except ssl.SSLError:
        pass
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with old.wrap_socket(raw):
                pass
    ok = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ok.check_hostname = False
    ok.verify_mode = ssl.CERT_NONE
    ok.minimum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ok.wrap_socket(raw) as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_stop_is_clean(apimd):
    pid_file = apimd.home / "wso2carbon.pid"
    assert pid_file.exists()
    assert apimd.stop() == 0
    assert not pid_file.exists()
    assert "apimd stopped" in apimd.log_text()
    assert not listening(apimd.ports["mgt_https"])


# ---- ports and offsets ---------------------------------------------------------


def test_offset_moves_every_port(apimd_bin, tmp_path):
    offset = free_offset()
    home = make_carbon_home(tmp_path, 0)
    out = run_apimd(apimd_bin, home, f"-DportOffset={offset}", "-T")
    assert out.returncode == 0, out.stderr
    first = out.stdout.splitlines()[1]
    assert first == (
        f"# ports: offset={offset} mgt.http={9763 + offset} mgt.https={9443 + offset} "
        f"nio.http={8280 + offset} nio.https={8243 + offset} "
        f"thrift.server={10397 + offset} thrift.client={10397 + offset}"
    )
    # placeholders built from the ports follow the offset
    assert f"APIKeyValidator/ServerURL = https://localhost:{9443 + offset}/services/" in out.stdout
    assert re.search(rf"GatewayEndpoint = http://[^,]+:{8280 + offset},https://[^,]+:{8243 + offset}", out.stdout)


def test_seed_topology_three_instances(apimd_factory, carbon_home_factory, http):
    """Control plane + production gateway + sandbox gateway on one host, at
    offsets N, N+1, N+2: each answers on its own ports only."""
    base = free_offset()
    while not all(port_is_free(p + base + k) for k in (1, 2) for p in (9443, 9763)):
        base = free_offset()
    procs = [
        apimd_factory(carbon_home_factory(offset=base), offset=base),
        apimd_factory(carbon_home_factory(offset=base + 1, profile="gateway-worker"), offset=base + 1),
        apimd_factory(carbon_home_factory(offset=base + 2, profile="gateway-worker"), offset=base + 2),
    ]
    for k, proc in enumerate(procs):
        assert proc.ports["mgt_https"] == 9443 + base + k
        for https in (False, True):
            r = http.get(proc.url("/services/Version", https=https), timeout=5)
            assert r.status_code == 200 and r.text == VERSION_BODY
        assert f"carbon home {proc.home}" in proc.log_text()
    assert "profile default" in procs[0].log_text()
    assert "profile gateway-worker" in procs[1].log_text()
    # a gateway worker does not touch the API-M database
    assert not (procs[1].home / "repository/database/WSO2AM_DB.db").exists()
    assert (procs[0].home / "repository/database/WSO2AM_DB.db").exists()
    # three distinct processes and pid files
    pids = {(p.home / "wso2carbon.pid").read_text().strip() for p in procs}
    assert len(pids) == 3


def test_port_in_use_is_a_clear_failure(apimd_bin, tmp_path):
    offset = free_offset()
    home = make_carbon_home(tmp_path, offset)
    blocker = socket.socket()
    blocker.bind(("0.0.0.0", 9763 + offset))
    blocker.listen(1)
    try:
        out = run_apimd(apimd_bin, home, f"-DportOffset={offset}")
    finally:
        blocker.close()
    assert out.returncode == 1
    assert f"HTTP port {9763 + offset}" in out.stdout
    assert not (home / "wso2carbon.pid").exists()
    assert not listening(9443 + offset)


# ---- configuration errors --------------------------------------------------------

BROKEN = [
    (
        "bad value",
        ("repository/conf/api-manager.xml", "<EnableThriftServer>true</EnableThriftServer>",
         "<EnableThriftServer>yes please</EnableThriftServer>"),
        r"^repository/conf/api-manager\.xml:(\d+): APIKeyValidator/EnableThriftServer: 'yes please' is not true or false$",
        "<EnableThriftServer>yes please",
    ),
    (
        "bad XML",
        ("repository/conf/api-manager.xml", "</CacheConfigurations>", "</CacheConfiguration>"),
        r"^repository/conf/api-manager\.xml:(\d+): XML: .*",
        "</CacheConfiguration>",
    ),
    (
        "bad port",
        ("repository/conf/tomcat/catalina-server.xml", 'port="9763"', 'port="97630"'),
        r"^repository/conf/tomcat/catalina-server\.xml:(\d+): Service/Connector\[1\]/@port: '97630' is out of range",
        None,
    ),
    (
        "bad datasource reference",
        ("repository/conf/user-mgt.xml", "jdbc/WSO2CarbonDB</Property>", "jdbc/Missing</Property>"),
        r"^repository/conf/user-mgt\.xml: .*no datasource named 'jdbc/Missing'",
        None,
    ),
]


@pytest.mark.parametrize("name,edit,pattern,marker", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_config_is_named_and_nothing_starts(apimd_bin, tmp_path, name, edit, pattern, marker):
    offset = free_offset()
    home = make_carbon_home(tmp_path, offset, edits=[edit])
    check = run_apimd(apimd_bin, home, "-t")
    assert check.returncode == 6, check.stdout + check.stderr
    m = re.search(pattern, check.stderr, re.M)
    assert m, check.stderr
    if marker is not None:
        # the line number points at the broken element
        text = (home / edit[0]).read_text().splitlines()
        line = int(m.group(1))
        assert marker in text[line - 1] or marker in "\n".join(text[line - 2 : line])

    run = run_apimd(apimd_bin, home, f"-DportOffset={offset}")
    assert run.returncode == 6
    assert re.search(pattern.lstrip("^").rstrip("$"), run.stdout), run.stdout
    assert "Invalid configuration, not starting" in run.stdout
    assert not (home / "wso2carbon.pid").exists()
    for port in (9443, 9763):
        assert not listening(port + offset)
    assert "Invalid configuration" in (home / "repository/logs/wso2carbon.log").read_text()


def test_every_error_reported_at_once(apimd_bin, tmp_path):
    home = make_carbon_home(
        tmp_path,
        0,
        edits=[
            ("repository/conf/api-manager.xml", "<EnableThriftServer>true<", "<EnableThriftServer>x<"),
            ("repository/conf/api-manager.xml", "<!--TokenCacheExpiry>900</TokenCacheExpiry-->",
             "<TokenCacheExpiry>-1</TokenCacheExpiry>"),
            ("repository/conf/carbon.xml", "<Type>JKS</Type>", "<Type>JCEKS</Type>"),
            ("repository/conf/datasources/master-datasources.xml", "<maxWait>60000</maxWait>",
             "<maxWait>soon</maxWait>"),
        ],
    )
    out = run_apimd(apimd_bin, home, "-t")
    assert out.returncode == 6
    errors = [l for l in out.stderr.splitlines() if re.match(r"^repository/conf/\S+:\d+: ", l)]
    assert len(errors) == 4, out.stderr
    assert any("Security/KeyStore/Type: 'JCEKS' is not one of: JKS, PKCS12, P12, PEM" in e for e in errors)


def test_valid_config_check(apimd_bin, tmp_path):
    home = make_carbon_home(tmp_path, 0)
    out = run_apimd(apimd_bin, home, "-t")
    assert out.returncode == 0
    assert "is valid" in out.stdout


def test_unknown_profile_is_a_usage_error(apimd_bin, tmp_path):
    out = run_apimd(apimd_bin, make_carbon_home(tmp_path, 0), "-Dprofile=gateway-wroker", "-t")
    assert out.returncode == 2
    assert "unknown profile 'gateway-wroker'" in out.stderr
    assert "gateway-worker" in out.stderr and "traffic-manager" in out.stderr


# ---- secrets ---------------------------------------------------------------------------


def test_secrets_masked_and_never_logged(apimd_factory, carbon_home_factory, apimd_bin):
    secret = "Ultra-Secret-42"
    home = carbon_home_factory(
        edits=[("repository/conf/user-mgt.xml", "<Password>admin</Password>", f"<Password>{secret}</Password>")]
    )
    dump = run_apimd(apimd_bin, home, "-T")
    assert dump.returncode == 0
    assert secret not in dump.stdout
    assert "Realm/Configuration/AdminUser/Password = ********" in dump.stdout
    assert "APIKeyValidator/Password = ********" in dump.stdout  # ${admin.password}
    proc = apimd_factory(home)
    proc.signal(signal.SIGHUP)
    wait_for(lambda: "Configuration reloaded" in proc.log_text(), what="reload")
    proc.stop()
    assert secret not in proc.log_text()
    assert secret not in proc.output_text()
    assert "wso2carbon" not in re.sub(r"wso2carbon\.(jks|log)|alias wso2carbon|wso2carbon\.pid", "", proc.log_text())


# ---- signals -----------------------------------------------------------------------------


def test_sighup_reload_and_restart_only_refusal(apimd, http):
    conf = apimd.home / "repository/conf/api-manager.xml"
    conf.write_text(conf.read_text().replace("<Access-Control-Allow-Origin>*<", "<Access-Control-Allow-Origin>https://a.example<"))
    apimd.signal(signal.SIGHUP)
    wait_for(lambda: "Configuration reloaded" in apimd.log_text(), what="reload")

    carbon = apimd.home / "repository/conf/carbon.xml"
    carbon.write_text(re.sub(r"<Offset>\d+</Offset>", "<Offset>77</Offset>", carbon.read_text()))
    conf.write_text(conf.read_text().replace("<KeyValidatorClientType>ThriftClient<", "<KeyValidatorClientType>WSClient<"))
    apimd.signal(signal.SIGHUP)
    wait_for(lambda: "reload refused" in apimd.log_text(), what="refusal")
    log = apimd.log_text()
    refusal = [l for l in log.splitlines() if "reload refused" in l][0]
    assert "APIKeyValidator/KeyValidatorClientType" in refusal
    # -DportOffset on the command line still rules the ports, so the offset edit is not a port change
    # but the Ports/Offset element itself is named
    assert "Ports/Offset" in refusal

    # a broken file is refused too, and the server keeps serving
    conf.write_text(conf.read_text().replace("</APIManager>", "</APIManagr>"))
    apimd.signal(signal.SIGHUP)
    wait_for(lambda: re.search(r"WARN \{am.core.main\} -  repository/conf/api-manager.xml:\d+: XML: ", apimd.log_text()),
             what="xml refusal")
    assert apimd.log_text().count("Configuration not reloaded") == 2
    assert http.get(apimd.url("/services/Version"), timeout=5).status_code == 200
    assert apimd.returncode is None


def test_sigusr1_reopens_the_log(apimd):
    log = apimd.home / "repository/logs/wso2carbon.log"
    rotated = log.with_name("wso2carbon.log.1")
    log.rename(rotated)
    apimd.signal(signal.SIGUSR1)
    wait_for(lambda: log.exists() and "Log files reopened" in log.read_text(), what="reopen")
    assert "Log files reopened" not in rotated.read_text()


# ---- an existing keystore ------------------------------------------------------------------

KEYSTORES = Path(__file__).resolve().parent.parent / "data" / "keystores"


def fixture_cert_der(name):
    """The DER certificate of a fixture keystore's wso2carbon entry."""
    if name.endswith(".jks"):
        pem = (KEYSTORES / "wso2carbon.crt.pem").read_text()
    else:
        pem = subprocess.run(
            ["openssl", "pkcs12", "-in", str(KEYSTORES / name), "-nokeys", "-clcerts", "-passin", "pass:wso2carbon"],
            capture_output=True, text=True, check=True,
        ).stdout
        pem = pem[pem.index("-----BEGIN CERTIFICATE-----"):]
    return ssl.PEM_cert_to_DER_cert(pem)


@pytest.mark.parametrize("name,kind", [("wso2carbon.jks", "JKS"), ("wso2carbon.p12", "PKCS12")])
def test_existing_keystore_is_used(apimd_factory, carbon_home_factory, name, kind):
    """An operator's keystore (keytool-made) serves 9443 as is."""
    if not (KEYSTORES / name).exists():
        pytest.skip("keystore fixtures absent")
    home = carbon_home_factory()
    sec = home / "repository/resources/security"
    (sec / name).write_bytes((KEYSTORES / name).read_bytes())
    home.replace("repository/conf/carbon.xml", "wso2carbon.jks</Location>\n            <Type>JKS</Type>",
                 f"{name}</Location>\n            <Type>{kind}</Type>")
    proc = apimd_factory(home)
    served = ssl.get_server_certificate(("127.0.0.1", proc.ports["mgt_https"]))
    assert ssl.PEM_cert_to_DER_cert(served) == fixture_cert_der(name)
    assert "creating a self-signed" not in proc.log_text()  # nothing generated


def test_wrong_keystore_password_fails_start(apimd_bin, carbon_home_factory):
    home = carbon_home_factory()
    jks = KEYSTORES / "wso2carbon.jks"
    if not jks.exists():
        pytest.skip("keystore fixtures absent")
    (home / "repository/resources/security/wso2carbon.jks").write_bytes(jks.read_bytes())
    home.replace("repository/conf/carbon.xml", "<Password>wso2carbon</Password>\n            <KeyAlias>",
                 "<Password>not-the-password</Password>\n            <KeyAlias>")
    out = run_apimd(apimd_bin, home, f"-DportOffset={home.offset}")
    assert out.returncode == 1
    assert "carbon.xml Security/KeyStore" in out.stdout
    assert "not-the-password" not in out.stdout
    assert not listening(9443 + home.offset)


# ---- MariaDB ---------------------------------------------------------------------------------


def mysql_datasources(home, mariadb, carbon_db, am_db):
    """Point WSO2_CARBON_DB and WSO2AM_DB at MariaDB, as an operator does."""
    ds = home / "repository/conf/datasources/master-datasources.xml"
    text = ds.read_text()
    for name, db in (("WSO2CARBON_DB;DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT=60000", carbon_db),
                     ("WSO2AM_DB;DB_CLOSE_ON_EXIT=FALSE", am_db)):
        url = f"jdbc:mysql://127.0.0.1:{mariadb.port}/{db}?autoReconnect=true&amp;useSSL=false"
        text = text.replace(f"jdbc:h2:./repository/database/{name}", url)
    text = text.replace("<username>wso2carbon</username>", f"<username>{mariadb.user}</username>")
    text = text.replace("<password>wso2carbon</password>", f"<password>{mariadb.password}</password>")
    text = text.replace("org.h2.Driver", "com.mysql.jdbc.Driver")
    ds.write_text(text)


def test_mariadb_datasources(mariadb, apimd_factory, carbon_home_factory, apimd_bin, http):
    repo = Path(__file__).resolve().parents[2]
    carbon_db = mariadb.create_database("amcarbon")
    am_db = mariadb.create_database("amapim")
    home = carbon_home_factory()
    mysql_datasources(home, mariadb, carbon_db, am_db)

    # no schema yet: a clear error naming the script, nothing listening
    out = run_apimd(apimd_bin, home, f"-DportOffset={home.offset}")
    assert out.returncode == 1
    assert "dbscripts/mysql.sql" in out.stdout and "-Dsetup" in out.stdout
    assert not listening(9443 + home.offset)

    # the operator creates the schema from dbscripts/, as with WSO2
    mariadb.run_sql_file(carbon_db, repo / "dbscripts/mysql.sql")
    mariadb.run_sql_file(am_db, repo / "dbscripts/apimgt/mysql.sql")
    proc = apimd_factory(home)
    users = mariadb.query(carbon_db, "SELECT UM_USER_NAME, UM_TENANT_ID FROM UM_USER")
    assert users == [("admin", "-1234")]
    r = http.get(proc.url("/health/ready"), timeout=5)
    assert r.status_code == 200
    assert r.json()["details"]["WSO2AM_DB:responseTime"]["status"] == "pass"
    assert not (home / "repository/database/WSO2AM_DB.db").exists()
    assert "jdbc:mysql://127.0.0.1" in proc.log_text()


def test_mariadb_setup_creates_schema(mariadb, apimd_factory, carbon_home_factory):
    carbon_db = mariadb.create_database("amcarbon")
    am_db = mariadb.create_database("amapim")
    home = carbon_home_factory()
    mysql_datasources(home, mariadb, carbon_db, am_db)
    proc = apimd_factory(home, args=["-Dsetup"])
    assert "Creating the API manager schema in WSO2AM_DB" in proc.log_text()
    tables = {r[0] for r in mariadb.query(am_db, "SHOW TABLES")}
    assert {"AM_API", "IDN_OAUTH2_ACCESS_TOKEN", "AM_SUBSCRIPTION"} <= tables
    assert mariadb.query(carbon_db, "SELECT COUNT(*) FROM UM_USER") == [("1",)]


def test_existing_wso2_user_logs_in_unchanged(mariadb, apimd_factory, carbon_home_factory):
    """A UM_USER row as WSO2 wrote it survives our first start untouched."""
    repo = Path(__file__).resolve().parents[2]
    carbon_db = mariadb.create_database("amcarbon")
    am_db = mariadb.create_database("amapim")
    mariadb.run_sql_file(carbon_db, repo / "dbscripts/mysql.sql")
    mariadb.run_sql_file(am_db, repo / "dbscripts/apimgt/mysql.sql")
    mariadb.query(
        carbon_db,
        "INSERT INTO UM_USER (UM_USER_NAME, UM_USER_PASSWORD, UM_SALT_VALUE, UM_REQUIRE_CHANGE, "
        "UM_CHANGED_TIME, UM_TENANT_ID) VALUES ('admin', 'esJjDPC9KNCkHSiVZYeYSgODS+k1ZkWy5R3ee6UFcF4=', "
        "'AAAAAAAAAAAAAAAAAAAAAA==', 0, '2018-09-04 20:39:00', -1234)",
    )
    home = carbon_home_factory()
    mysql_datasources(home, mariadb, carbon_db, am_db)
    proc = apimd_factory(home)
    assert "Created the admin user" not in proc.log_text()
    rows = mariadb.query(carbon_db, "SELECT UM_USER_PASSWORD, UM_SALT_VALUE FROM UM_USER WHERE UM_USER_NAME='admin'")
    assert rows == [("esJjDPC9KNCkHSiVZYeYSgODS+k1ZkWy5R3ee6UFcF4=", "AAAAAAAAAAAAAAAAAAAAAA==")]
    # and it got the API-M roles
    roles = {r[0] for r in mariadb.query(
        carbon_db,
        "SELECT R.UM_ROLE_NAME FROM UM_HYBRID_USER_ROLE U JOIN UM_HYBRID_ROLE R ON U.UM_ROLE_ID=R.UM_ID "
        "WHERE U.UM_USER_NAME='admin'")}
    assert {"subscriber", "creator", "publisher"} <= roles
