"""Schema scripts: dbscripts/{,apimgt/}{mysql,sqlite}.sql.

What this proves:

* every script keeps the loader contract (statements end with ";" at the end
  of a line, comments are whole "--" lines) and loads statement by statement
  into a fresh SQLite database, twice, without error and without adding rows
  or schema objects the second time;
* the MySQL scripts load into a fresh MariaDB database through the command
  line client in strict mode (sql_mode TRADITIONAL, i.e. with NO_ZERO_DATE),
  twice, and give the same columns whatever explicit_defaults_for_timestamp
  says;
* the MySQL and SQLite twins have exactly the same tables and, table by
  table, the same column names in the same order, and the tables WSO2 API-M
  2.6 keeps in userdb / regdb / apimgtdb are all there;
* the columns apimd's code relies on exist, and the default throttling
  policies of the super tenant are seeded;
* rows shaped the way WSO2 2.6 writes them (a salted user, an OAuth client, a
  token with TIME_CREATED 'YYYY-MM-DD HH:MM:SS' and a JSON ACCESS_TOKEN_HASH)
  are accepted by both engines and read back unchanged, while a duplicate
  UM_USER (same name and tenant) and a dangling foreign key are rejected.

The MariaDB half uses the ``mariadb`` fixture of conftest.py and is skipped
when no MariaDB server is available.
"""

import hashlib
import os
import shutil
import sqlite3
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DBSCRIPTS = os.path.join(ROOT, "dbscripts")
KERNEL_MYSQL = os.path.join(DBSCRIPTS, "mysql.sql")
KERNEL_SQLITE = os.path.join(DBSCRIPTS, "sqlite.sql")
APIMGT_MYSQL = os.path.join(DBSCRIPTS, "apimgt", "mysql.sql")
APIMGT_SQLITE = os.path.join(DBSCRIPTS, "apimgt", "sqlite.sql")
MYSQL_SCRIPTS = [KERNEL_MYSQL, APIMGT_MYSQL]
SQLITE_SCRIPTS = [KERNEL_SQLITE, APIMGT_SQLITE]

SUPER_TENANT = -1234

REG_TABLES = {
    "REG_CLUSTER_LOCK", "REG_LOG", "REG_PATH", "REG_CONTENT", "REG_CONTENT_HISTORY",
    "REG_RESOURCE", "REG_RESOURCE_HISTORY", "REG_COMMENT", "REG_RESOURCE_COMMENT",
    "REG_RATING", "REG_RESOURCE_RATING", "REG_TAG", "REG_RESOURCE_TAG", "REG_PROPERTY",
    "REG_RESOURCE_PROPERTY", "REG_ASSOCIATION", "REG_SNAPSHOT",
}
UM_TABLES = {
    "UM_TENANT", "UM_DOMAIN", "UM_USER", "UM_SYSTEM_USER", "UM_ROLE", "UM_MODULE",
    "UM_MODULE_ACTIONS", "UM_PERMISSION", "UM_ROLE_PERMISSION", "UM_USER_PERMISSION",
    "UM_USER_ROLE", "UM_SHARED_USER_ROLE", "UM_ACCOUNT_MAPPING", "UM_USER_ATTRIBUTE",
    "UM_DIALECT", "UM_CLAIM", "UM_PROFILE_CONFIG", "UM_CLAIM_BEHAVIOR", "UM_HYBRID_ROLE",
    "UM_HYBRID_USER_ROLE", "UM_SYSTEM_ROLE", "UM_SYSTEM_USER_ROLE", "UM_HYBRID_REMEMBER_ME",
}
IDN_TABLES = {
    "IDN_OAUTH_CONSUMER_APPS", "IDN_OAUTH2_SCOPE_VALIDATORS", "IDN_OAUTH2_ACCESS_TOKEN",
    "IDN_OAUTH2_ACCESS_TOKEN_AUDIT", "IDN_OAUTH2_AUTHORIZATION_CODE",
    "IDN_OAUTH2_ACCESS_TOKEN_SCOPE", "IDN_OAUTH2_SCOPE", "IDN_OAUTH2_SCOPE_BINDING",
    "IDN_OAUTH2_RESOURCE_SCOPE", "IDN_THRIFT_SESSION", "SP_APP", "SP_METADATA",
    "SP_INBOUND_AUTH",
}
AM_TABLES = {
    "AM_SUBSCRIBER", "AM_APPLICATION", "AM_API", "AM_API_URL_MAPPING", "AM_SUBSCRIPTION",
    "AM_SUBSCRIPTION_KEY_MAPPING", "AM_APPLICATION_KEY_MAPPING", "AM_API_LC_EVENT",
    "AM_APP_KEY_DOMAIN_MAPPING", "AM_API_COMMENTS", "AM_API_RATINGS", "AM_TIER_PERMISSIONS",
    "AM_EXTERNAL_STORES", "AM_WORKFLOWS", "AM_APPLICATION_REGISTRATION", "AM_API_SCOPES",
    "AM_API_DEFAULT_VERSION", "AM_ALERT_TYPES", "AM_ALERT_TYPES_VALUES", "AM_ALERT_EMAILLIST",
    "AM_ALERT_EMAILLIST_DETAILS", "AM_POLICY_SUBSCRIPTION", "AM_POLICY_APPLICATION",
    "AM_POLICY_HARD_THROTTLING", "AM_API_THROTTLE_POLICY", "AM_CONDITION_GROUP",
    "AM_QUERY_PARAMETER_CONDITION", "AM_HEADER_FIELD_CONDITION", "AM_JWT_CLAIM_CONDITION",
    "AM_IP_CONDITION", "AM_POLICY_GLOBAL", "AM_THROTTLE_TIER_PERMISSIONS",
    "AM_BLOCK_CONDITIONS", "AM_CERTIFICATE_METADATA", "AM_APPLICATION_GROUP_MAPPING",
    "AM_USAGE_UPLOADED_FILES", "AM_API_LC_PUBLISH_EVENTS", "AM_LABELS", "AM_LABEL_URLS",
    "AM_APPLICATION_ATTRIBUTES",
}
ALL_TABLES = REG_TABLES | UM_TABLES | IDN_TABLES | AM_TABLES

# Columns apimd's code reads or writes by name.
REQUIRED_COLUMNS = {
    "UM_USER": ["UM_ID", "UM_USER_NAME", "UM_USER_PASSWORD", "UM_SALT_VALUE",
                "UM_REQUIRE_CHANGE", "UM_CHANGED_TIME", "UM_TENANT_ID"],
    "UM_ROLE": ["UM_ID", "UM_ROLE_NAME", "UM_TENANT_ID"],
    "UM_USER_ROLE": ["UM_ROLE_ID", "UM_USER_ID", "UM_TENANT_ID"],
    "UM_HYBRID_ROLE": ["UM_ID", "UM_ROLE_NAME", "UM_TENANT_ID"],
    "UM_HYBRID_USER_ROLE": ["UM_USER_NAME", "UM_ROLE_ID", "UM_TENANT_ID", "UM_DOMAIN_ID"],
    "UM_DOMAIN": ["UM_DOMAIN_ID", "UM_DOMAIN_NAME", "UM_TENANT_ID"],
    "UM_PERMISSION": ["UM_ID", "UM_RESOURCE_ID", "UM_ACTION", "UM_TENANT_ID"],
    "UM_ROLE_PERMISSION": ["UM_PERMISSION_ID", "UM_ROLE_NAME", "UM_IS_ALLOWED",
                           "UM_TENANT_ID", "UM_DOMAIN_ID"],
    "UM_TENANT": ["UM_ID", "UM_DOMAIN_NAME", "UM_ACTIVE", "UM_CREATED_DATE"],
    "REG_PATH": ["REG_PATH_ID", "REG_PATH_VALUE", "REG_PATH_PARENT_ID", "REG_TENANT_ID"],
    "REG_RESOURCE": ["REG_PATH_ID", "REG_NAME", "REG_VERSION", "REG_MEDIA_TYPE",
                     "REG_CONTENT_ID", "REG_UUID", "REG_TENANT_ID"],
    "REG_CONTENT": ["REG_CONTENT_ID", "REG_CONTENT_DATA", "REG_TENANT_ID"],
    "REG_PROPERTY": ["REG_ID", "REG_NAME", "REG_VALUE", "REG_TENANT_ID"],
    "REG_RESOURCE_PROPERTY": ["REG_PROPERTY_ID", "REG_VERSION", "REG_PATH_ID",
                              "REG_RESOURCE_NAME", "REG_TENANT_ID"],
    "IDN_OAUTH_CONSUMER_APPS": ["ID", "CONSUMER_KEY", "CONSUMER_SECRET", "USERNAME",
                                "TENANT_ID", "USER_DOMAIN", "APP_NAME", "GRANT_TYPES",
                                "APP_STATE", "USER_ACCESS_TOKEN_EXPIRE_TIME",
                                "APP_ACCESS_TOKEN_EXPIRE_TIME", "REFRESH_TOKEN_EXPIRE_TIME"],
    "IDN_OAUTH2_ACCESS_TOKEN": ["TOKEN_ID", "ACCESS_TOKEN", "REFRESH_TOKEN", "CONSUMER_KEY_ID",
                                "AUTHZ_USER", "TENANT_ID", "USER_DOMAIN", "USER_TYPE",
                                "GRANT_TYPE", "TIME_CREATED", "REFRESH_TOKEN_TIME_CREATED",
                                "VALIDITY_PERIOD", "REFRESH_TOKEN_VALIDITY_PERIOD",
                                "TOKEN_SCOPE_HASH", "TOKEN_STATE", "TOKEN_STATE_ID",
                                "SUBJECT_IDENTIFIER", "ACCESS_TOKEN_HASH", "REFRESH_TOKEN_HASH"],
    "IDN_OAUTH2_ACCESS_TOKEN_SCOPE": ["TOKEN_ID", "TOKEN_SCOPE", "TENANT_ID"],
    "IDN_OAUTH2_AUTHORIZATION_CODE": ["CODE_ID", "AUTHORIZATION_CODE", "AUTHORIZATION_CODE_HASH",
                                      "CONSUMER_KEY_ID", "STATE", "VALIDITY_PERIOD"],
    "IDN_OAUTH2_SCOPE": ["SCOPE_ID", "NAME", "DISPLAY_NAME", "DESCRIPTION", "TENANT_ID"],
    "IDN_OAUTH2_SCOPE_BINDING": ["SCOPE_ID", "SCOPE_BINDING"],
    "IDN_OAUTH2_RESOURCE_SCOPE": ["RESOURCE_PATH", "SCOPE_ID", "TENANT_ID"],
    "IDN_THRIFT_SESSION": ["SESSION_ID", "USER_NAME", "CREATED_TIME", "LAST_MODIFIED_TIME",
                           "TENANT_ID"],
    "SP_APP": ["ID", "TENANT_ID", "APP_NAME", "USER_STORE", "USERNAME", "AUTH_TYPE"],
    "SP_INBOUND_AUTH": ["TENANT_ID", "INBOUND_AUTH_KEY", "INBOUND_AUTH_TYPE",
                        "INBOUND_CONFIG_TYPE", "APP_ID"],
    "AM_SUBSCRIBER": ["SUBSCRIBER_ID", "USER_ID", "TENANT_ID", "EMAIL_ADDRESS",
                      "DATE_SUBSCRIBED"],
    "AM_APPLICATION": ["APPLICATION_ID", "NAME", "SUBSCRIBER_ID", "APPLICATION_TIER",
                       "APPLICATION_STATUS", "GROUP_ID", "UUID", "TOKEN_TYPE"],
    "AM_API": ["API_ID", "API_PROVIDER", "API_NAME", "API_VERSION", "CONTEXT",
               "CONTEXT_TEMPLATE", "API_TIER"],
    "AM_API_URL_MAPPING": ["API_ID", "HTTP_METHOD", "AUTH_SCHEME", "URL_PATTERN",
                           "THROTTLING_TIER", "MEDIATION_SCRIPT"],
    "AM_SUBSCRIPTION": ["SUBSCRIPTION_ID", "TIER_ID", "API_ID", "APPLICATION_ID",
                        "SUB_STATUS", "SUBS_CREATE_STATE", "UUID"],
    "AM_APPLICATION_KEY_MAPPING": ["APPLICATION_ID", "CONSUMER_KEY", "KEY_TYPE", "STATE",
                                   "CREATE_MODE"],
    "AM_APPLICATION_REGISTRATION": ["REG_ID", "SUBSCRIBER_ID", "WF_REF", "APP_ID",
                                    "TOKEN_TYPE", "TOKEN_SCOPE", "INPUTS", "ALLOWED_DOMAINS",
                                    "VALIDITY_PERIOD"],
    "AM_API_LC_EVENT": ["API_ID", "PREVIOUS_STATE", "NEW_STATE", "USER_ID", "TENANT_ID",
                        "EVENT_DATE"],
    "AM_API_SCOPES": ["API_ID", "SCOPE_ID"],
    "AM_POLICY_SUBSCRIPTION": ["NAME", "TENANT_ID", "QUOTA_TYPE", "QUOTA", "UNIT_TIME",
                               "TIME_UNIT", "RATE_LIMIT_COUNT", "RATE_LIMIT_TIME_UNIT",
                               "STOP_ON_QUOTA_REACH", "BILLING_PLAN", "IS_DEPLOYED", "UUID"],
    "AM_POLICY_APPLICATION": ["NAME", "TENANT_ID", "QUOTA_TYPE", "QUOTA", "UNIT_TIME",
                              "TIME_UNIT", "UUID"],
    "AM_API_THROTTLE_POLICY": ["NAME", "TENANT_ID", "DEFAULT_QUOTA_TYPE", "DEFAULT_QUOTA",
                               "DEFAULT_UNIT_TIME", "DEFAULT_TIME_UNIT", "APPLICABLE_LEVEL",
                               "UUID"],
    "AM_CONDITION_GROUP": ["CONDITION_GROUP_ID", "POLICY_ID", "QUOTA_TYPE", "QUOTA"],
    "AM_BLOCK_CONDITIONS": ["CONDITION_ID", "TYPE", "VALUE", "ENABLED", "DOMAIN", "UUID"],
    "AM_WORKFLOWS": ["WF_REFERENCE", "WF_TYPE", "WF_STATUS", "WF_EXTERNAL_REFERENCE"],
}

# (table, name column, quota column, expected {name: quota}) for TENANT_ID -1234.
UNLIMITED = 2147483647
SEEDED_POLICIES = [
    ("AM_POLICY_SUBSCRIPTION", "QUOTA",
     {"Gold": 5000, "Silver": 2000, "Bronze": 1000, "Unauthenticated": 500,
      "Unlimited": UNLIMITED}),
    ("AM_POLICY_APPLICATION", "QUOTA",
     {"50PerMin": 50, "20PerMin": 20, "10PerMin": 10, "Unlimited": UNLIMITED}),
    ("AM_API_THROTTLE_POLICY", "DEFAULT_QUOTA",
     {"50KPerMin": 50000, "20KPerMin": 20000, "10KPerMin": 10000, "Unlimited": UNLIMITED}),
]

# A token row shaped the way API-M 2.6 writes it.
TOKEN = "ae4eae22-3f65-387b-a171-d37eaa366fa8"
TOKEN_HASH = '{"hash":"%s","algorithm":"SHA-256"}' % hashlib.sha256(TOKEN.encode()).hexdigest()
TOKEN_CREATED = "2019-03-04 05:06:07"
SCOPE_HASH = hashlib.md5(b"am_application_scope default").hexdigest()


def wso2_rows():
    """INSERT statements for a user, an OAuth client and its token, as WSO2 2.6 writes them."""
    return [
        "INSERT INTO UM_USER (UM_USER_NAME, UM_USER_PASSWORD, UM_SALT_VALUE, UM_REQUIRE_CHANGE,"
        " UM_CHANGED_TIME, UM_TENANT_ID) VALUES ('admin',"
        " 'esJjDPC9KNCkHSiVZYeYSgODS+k1ZkWy5R3ee6UFcF4=', 'AAAAAAAAAAAAAAAAAAAAAA==', 0,"
        " '2019-03-04 05:06:07', -1234)",
        "INSERT INTO UM_ROLE (UM_ROLE_NAME, UM_TENANT_ID, UM_SHARED_ROLE) VALUES ('admin', -1234, 0)",
        "INSERT INTO UM_USER_ROLE (UM_ROLE_ID, UM_USER_ID, UM_TENANT_ID) SELECT R.UM_ID, U.UM_ID,"
        " -1234 FROM UM_ROLE R, UM_USER U WHERE R.UM_ROLE_NAME = 'admin' AND"
        " U.UM_USER_NAME = 'admin' AND R.UM_TENANT_ID = -1234 AND U.UM_TENANT_ID = -1234",
        "INSERT INTO IDN_OAUTH_CONSUMER_APPS (CONSUMER_KEY, CONSUMER_SECRET, USERNAME, TENANT_ID,"
        " USER_DOMAIN, APP_NAME, OAUTH_VERSION, CALLBACK_URL, GRANT_TYPES, PKCE_MANDATORY,"
        " PKCE_SUPPORT_PLAIN, APP_STATE, USER_ACCESS_TOKEN_EXPIRE_TIME,"
        " APP_ACCESS_TOKEN_EXPIRE_TIME, REFRESH_TOKEN_EXPIRE_TIME, ID_TOKEN_EXPIRE_TIME) VALUES"
        " ('LOFL8He72MSGVil4SS_bsh9O8MQa', '8V7DDKtKGtuG_9GDjaOJ5sijdX0a', 'admin', -1234,"
        " 'PRIMARY', 'admin_DefaultApplication_PRODUCTION', 'OAuth-2.0', NULL,"
        " 'refresh_token password client_credentials', '0', '0', 'ACTIVE', 3600, 3600, 84600,"
        " 3600)",
        "INSERT INTO IDN_OAUTH2_ACCESS_TOKEN (TOKEN_ID, ACCESS_TOKEN, REFRESH_TOKEN,"
        " CONSUMER_KEY_ID, AUTHZ_USER, TENANT_ID, USER_DOMAIN, USER_TYPE, GRANT_TYPE,"
        " TIME_CREATED, REFRESH_TOKEN_TIME_CREATED, VALIDITY_PERIOD,"
        " REFRESH_TOKEN_VALIDITY_PERIOD, TOKEN_SCOPE_HASH, TOKEN_STATE, TOKEN_STATE_ID,"
        " SUBJECT_IDENTIFIER, ACCESS_TOKEN_HASH, REFRESH_TOKEN_HASH) SELECT"
        " '5c1f9c3e-3b0c-4a65-9d0f-2a0b8f2f6c11', '%s', NULL, ID, 'admin', -1234, 'PRIMARY',"
        " 'APPLICATION', 'client_credentials', '%s', '%s', 3600000, 84600000, '%s', 'ACTIVE',"
        " 'NONE', 'admin', '%s', NULL FROM IDN_OAUTH_CONSUMER_APPS"
        " WHERE CONSUMER_KEY = 'LOFL8He72MSGVil4SS_bsh9O8MQa'"
        % (TOKEN, TOKEN_CREATED, TOKEN_CREATED, SCOPE_HASH, TOKEN_HASH),
        "INSERT INTO IDN_OAUTH2_ACCESS_TOKEN_SCOPE (TOKEN_ID, TOKEN_SCOPE, TENANT_ID) VALUES"
        " ('5c1f9c3e-3b0c-4a65-9d0f-2a0b8f2f6c11', 'am_application_scope', -1234)",
        "INSERT INTO IDN_OAUTH2_ACCESS_TOKEN_SCOPE (TOKEN_ID, TOKEN_SCOPE, TENANT_ID) VALUES"
        " ('5c1f9c3e-3b0c-4a65-9d0f-2a0b8f2f6c11', 'default', -1234)",
        "INSERT INTO IDN_THRIFT_SESSION (SESSION_ID, USER_NAME, CREATED_TIME,"
        " LAST_MODIFIED_TIME) VALUES ('0b6e3a2c-1b1e-4a0f-8f77-5d2a2f1c9e01', 'admin',"
        " '1551675967000', '1551675967000')",
    ]


DUPLICATE_USER = (
    "INSERT INTO UM_USER (UM_USER_NAME, UM_USER_PASSWORD, UM_SALT_VALUE, UM_REQUIRE_CHANGE,"
    " UM_CHANGED_TIME, UM_TENANT_ID) VALUES ('admin', 'x', 'y', 0, '2019-03-04 05:06:07', -1234)"
)
DANGLING_SCOPE = (
    "INSERT INTO IDN_OAUTH2_ACCESS_TOKEN_SCOPE (TOKEN_ID, TOKEN_SCOPE, TENANT_ID) VALUES"
    " ('no-such-token', 'default', -1234)"
)
READ_TOKEN = (
    "SELECT T.TOKEN_ID, T.TIME_CREATED, T.VALIDITY_PERIOD, T.TOKEN_STATE, C.CONSUMER_KEY"
    " FROM IDN_OAUTH2_ACCESS_TOKEN T JOIN IDN_OAUTH_CONSUMER_APPS C ON T.CONSUMER_KEY_ID = C.ID"
    " WHERE T.ACCESS_TOKEN_HASH = '%s'" % TOKEN_HASH
)
EXPECTED_TOKEN = ["5c1f9c3e-3b0c-4a65-9d0f-2a0b8f2f6c11", TOKEN_CREATED, "3600000", "ACTIVE",
                  "LOFL8He72MSGVil4SS_bsh9O8MQa"]


def split_statements(path):
    """Split a script the way apimd's loader does: skip whole "--" lines, end a
    statement at a line ending in ";".  Fails on text after the last ";"."""
    statements, current = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            stripped = line.strip()
            if not stripped or stripped.startswith("--"):
                continue
            current.append(line.rstrip("\n"))
            if stripped.endswith(";"):
                statements.append("\n".join(current).rstrip()[:-1])
                current = []
    assert not current, "%s: statement without a final ';': %r" % (path, current[:2])
    return statements


# ---------------------------------------------------------------- SQLite

def load_sqlite(conn):
    for path in SQLITE_SCRIPTS:
        for stmt in split_statements(path):
            conn.execute(stmt)
    conn.commit()


def sqlite_snapshot(conn):
    schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()
    counts = {t: conn.execute("SELECT COUNT(*) FROM %s" % t).fetchone()[0]
              for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                       " AND name NOT LIKE 'sqlite_%'")}
    return schema, counts


def sqlite_columns(conn):
    tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                         " AND name NOT LIKE 'sqlite_%'")]
    return {t: [row[1] for row in conn.execute("PRAGMA table_info(%s)" % t)] for t in tables}


class Connection(sqlite3.Connection):
    """A connection that can carry the snapshot taken after the first load."""

    first_snapshot = None


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("schemas") / "apimd.db")
    conn = sqlite3.connect(path, factory=Connection)
    conn.execute("PRAGMA foreign_keys = ON")
    load_sqlite(conn)
    conn.first_snapshot = sqlite_snapshot(conn)
    load_sqlite(conn)
    yield conn
    conn.close()


def test_scripts_keep_loader_contract():
    for path in MYSQL_SCRIPTS + SQLITE_SCRIPTS:
        statements = split_statements(path)
        assert statements, path
        for stmt in statements:
            assert ";" not in stmt, "%s: ';' inside a statement: %s" % (path, stmt[:80])
            assert "DELIMITER" not in stmt.upper() and "TRIGGER" not in stmt.upper(), path
        text = open(path, encoding="utf-8").read()
        assert text.endswith("\n"), path


def test_sqlite_loads_twice_without_change(sqlite_db):
    assert sqlite_snapshot(sqlite_db) == sqlite_db.first_snapshot


def test_sqlite_has_all_tables(sqlite_db):
    assert set(sqlite_columns(sqlite_db)) == ALL_TABLES


def test_sqlite_foreign_keys_have_unique_parents(sqlite_db):
    # Raises "foreign key mismatch" if a parent key has no unique index.
    assert sqlite_db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_sqlite_required_columns(sqlite_db):
    columns = sqlite_columns(sqlite_db)
    for table, wanted in REQUIRED_COLUMNS.items():
        missing = [c for c in wanted if c not in columns[table]]
        assert not missing, "%s lacks %s" % (table, missing)


def test_sqlite_seeded_policies(sqlite_db):
    for table, quota_col, expected in SEEDED_POLICIES:
        rows = dict(sqlite_db.execute("SELECT NAME, %s FROM %s WHERE TENANT_ID = ?"
                                      % (quota_col, table), (SUPER_TENANT,)))
        assert rows == expected, table
    gold = sqlite_db.execute(
        "SELECT QUOTA_TYPE, UNIT_TIME, TIME_UNIT, IS_DEPLOYED, STOP_ON_QUOTA_REACH, BILLING_PLAN,"
        " DESCRIPTION, length(UUID) FROM AM_POLICY_SUBSCRIPTION WHERE NAME = 'Gold'"
        " AND TENANT_ID = -1234").fetchone()
    assert gold == ("requestCount", 1, "min", 1, 1, "FREE", "Allows 5000 requests per minute", 36)
    assert sqlite_db.execute("SELECT DISTINCT APPLICABLE_LEVEL FROM AM_API_THROTTLE_POLICY"
                             ).fetchall() == [("apiLevel",)]
    assert sqlite_db.execute("SELECT COUNT(*) FROM AM_ALERT_TYPES").fetchone()[0] == 7


def test_sqlite_accepts_wso2_rows(sqlite_db):
    conn = sqlite_db
    for stmt in wso2_rows():
        conn.execute(stmt)
    conn.commit()
    row = conn.execute(READ_TOKEN).fetchone()
    assert [str(v) for v in row] == EXPECTED_TOKEN
    assert conn.execute("SELECT COUNT(*) FROM UM_USER_ROLE").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(DUPLICATE_USER)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(DANGLING_SCOPE)
    conn.rollback()
    # Deleting the client cascades to its token and the token's scopes.
    conn.execute("DELETE FROM IDN_OAUTH_CONSUMER_APPS")
    assert conn.execute("SELECT COUNT(*) FROM IDN_OAUTH2_ACCESS_TOKEN_SCOPE").fetchone()[0] == 0
    conn.rollback()


# ---------------------------------------------------------------- MariaDB

STRICT = "SET SESSION sql_mode = 'TRADITIONAL'"


class MysqlClient:
    """Runs SQL through the mysql / mariadb command-line client."""

    def __init__(self, server, database):
        self.server = server
        self.database = database
        self.binary = shutil.which("mariadb") or shutil.which("mysql")
        if self.binary is None:
            pytest.skip("no mariadb / mysql command-line client")

    def _argv(self, init_command):
        argv = [self.binary, "--no-defaults", "--batch", "--raw", "--skip-column-names",
                "--user=%s" % self.server.user, "--init-command=%s" % init_command]
        socket = getattr(self.server, "socket", None)
        if socket and os.path.exists(socket):
            argv += ["--protocol=socket", "--socket=%s" % socket]
        else:
            argv += ["--protocol=tcp", "--host=%s" % self.server.host,
                     "--port=%d" % int(self.server.port)]
        argv.append(self.database)
        return argv

    def run(self, sql=None, script=None, init_command=STRICT, check=True):
        env = dict(os.environ)
        env["MYSQL_PWD"] = self.server.password or ""
        if script is not None:
            with open(script, "rb") as f:
                data = f.read()
        else:
            data = (sql.rstrip().rstrip(";") + ";\n").encode()
        proc = subprocess.run(self._argv(init_command), input=data, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
        if check:
            assert proc.returncode == 0, "mysql client failed: %s" % proc.stderr.decode()
        return proc

    def rows(self, sql):
        out = self.run(sql).stdout.decode()
        return [line.split("\t") for line in out.splitlines()]

    def columns(self):
        result = {}
        for table, column in self.rows(
                "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS"
                " WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION"):
            result.setdefault(table, []).append(column)
        return result

    def column_definitions(self):
        return self.rows(
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA"
            " FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
            " ORDER BY TABLE_NAME, ORDINAL_POSITION")

    def snapshot(self):
        counts = {}
        for (table,) in self.rows("SELECT TABLE_NAME FROM information_schema.TABLES"
                                  " WHERE TABLE_SCHEMA = DATABASE()"):
            counts[table] = self.rows("SELECT COUNT(*) FROM %s" % table)[0][0]
        indexes = self.rows(
            "SELECT TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME FROM"
            " information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()"
            " ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX")
        fks = self.rows(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE FROM"
            " information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()"
            " ORDER BY TABLE_NAME, CONSTRAINT_NAME")
        return self.column_definitions(), indexes, fks, counts


# Databases already loaded, per server, so that the (slow) double load happens
# once per module whatever the scope of the ``mariadb`` fixture is.
_LOADED = {}


def _server_key(server):
    return (server.host, int(server.port), getattr(server, "socket", None))


@pytest.fixture
def mysql_db(mariadb):
    key = _server_key(mariadb)
    if key not in _LOADED:
        client = MysqlClient(mariadb, mariadb.create_database("apimd_schema"))
        for script in MYSQL_SCRIPTS:
            client.run(script=script)
        client.first_snapshot = client.snapshot()
        for script in MYSQL_SCRIPTS:
            client.run(script=script)
        _LOADED[key] = client
    client = _LOADED[key]
    client.server = mariadb
    return client


def test_mysql_loads_twice_without_change(mysql_db):
    assert mysql_db.snapshot() == mysql_db.first_snapshot


def test_mysql_timestamps_do_not_depend_on_explicit_defaults(mysql_db, mariadb):
    other = MysqlClient(mariadb, mariadb.create_database("apimd_schema_nonexplicit"))
    init = STRICT + ", SESSION explicit_defaults_for_timestamp = 0"
    for script in MYSQL_SCRIPTS:
        other.run(script=script, init_command=init)
    assert other.column_definitions() == mysql_db.column_definitions()


def test_mysql_has_all_tables(mysql_db):
    assert set(mysql_db.columns()) == ALL_TABLES
    engines = {e for (e,) in mysql_db.rows("SELECT DISTINCT ENGINE FROM information_schema.TABLES"
                                           " WHERE TABLE_SCHEMA = DATABASE()")}
    assert engines == {"InnoDB"}


def test_twins_have_the_same_columns(mysql_db, sqlite_db):
    mysql_cols = mysql_db.columns()
    sqlite_cols = sqlite_columns(sqlite_db)
    assert set(mysql_cols) == set(sqlite_cols)
    for table in sorted(mysql_cols):
        assert mysql_cols[table] == sqlite_cols[table], table


def test_mysql_required_columns(mysql_db):
    columns = mysql_db.columns()
    for table, wanted in REQUIRED_COLUMNS.items():
        missing = [c for c in wanted if c not in columns[table]]
        assert not missing, "%s lacks %s" % (table, missing)


def test_mysql_seeded_policies(mysql_db):
    for table, quota_col, expected in SEEDED_POLICIES:
        rows = {name: int(q) for name, q in mysql_db.rows(
            "SELECT NAME, %s FROM %s WHERE TENANT_ID = %d" % (quota_col, table, SUPER_TENANT))}
        assert rows == expected, table
    gold = mysql_db.rows(
        "SELECT QUOTA_TYPE, UNIT_TIME, TIME_UNIT, IS_DEPLOYED, STOP_ON_QUOTA_REACH, BILLING_PLAN,"
        " DESCRIPTION, LENGTH(UUID) FROM AM_POLICY_SUBSCRIPTION WHERE NAME = 'Gold'"
        " AND TENANT_ID = -1234")
    assert gold == [["requestCount", "1", "min", "1", "1", "FREE",
                     "Allows 5000 requests per minute", "36"]]
    assert mysql_db.rows("SELECT COUNT(*) FROM AM_ALERT_TYPES") == [["7"]]


def test_mysql_accepts_wso2_rows(mysql_db):
    mysql_db.run(";\n".join(wso2_rows()))
    assert mysql_db.rows(READ_TOKEN) == [EXPECTED_TOKEN]
    assert mysql_db.rows("SELECT COUNT(*) FROM UM_USER_ROLE") == [["1"]]
    dup = mysql_db.run(DUPLICATE_USER, check=False)
    assert dup.returncode != 0 and b"Duplicate entry" in dup.stderr
    dangling = mysql_db.run(DANGLING_SCOPE, check=False)
    assert dangling.returncode != 0 and b"foreign key constraint fails" in dangling.stderr
    mysql_db.run("DELETE FROM IDN_OAUTH_CONSUMER_APPS")
    assert mysql_db.rows("SELECT COUNT(*) FROM IDN_OAUTH2_ACCESS_TOKEN_SCOPE") == [["0"]]
