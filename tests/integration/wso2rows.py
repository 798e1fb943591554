"""Rows in the API-M database the way WSO2 2.1 and 2.6 write them.

A test describes one subscriber -> application -> OAuth client -> token,
subscribed to one API, with a ``Seed``; ``seed_sql`` renders the INSERTs a
WSO2 2.6 Key Manager and Store would have made (2.1: the same rows without
the *_HASH columns and AM_APPLICATION.TOKEN_TYPE), and ``apply_sqlite`` /
``apply_mariadb`` run them.  ``SCHEMA_21_SQL`` turns our 2.6-shaped schema
into the 2.1 shape (no token hash columns), so the Key Manager must look
tokens up by their plain value.

Values are literals in test SQL on purpose (fixtures, not product code);
``q`` quotes them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import uuid
from dataclasses import dataclass, field

SUPER_TENANT = -1234


def q(value) -> str:
    """An SQL literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def hash_json(token: str) -> str:
    """The 2.6 ACCESS_TOKEN_HASH / REFRESH_TOKEN_HASH text."""
    return '{"hash":"%s","algorithm":"SHA-256"}' % hashlib.sha256(token.encode()).hexdigest()


def scope_hash(scopes) -> str:
    return hashlib.md5(" ".join(sorted(scopes)).encode()).hexdigest()


def utc_text(when: dt.datetime) -> str:
    """TIME_CREATED as WSO2 writes it: the UTC wall clock."""
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def new_token() -> str:
    """A WSO2 2.x token: the name-based UUID of a random UUID."""
    return str(uuid.uuid3(uuid.NAMESPACE_DNS, str(uuid.uuid4())))


@dataclass
class Resource:
    pattern: str = "/*"
    verb: str = "GET"
    auth: str = "Any"  # Any / Application / Application_User / None
    tier: str = "Unlimited"
    scope: str | None = None  # a scope bound to this resource
    scope_roles: tuple[str, ...] = ()


@dataclass
class Seed:
    subscriber: str = "admin"
    app_name: str = "DefaultApplication"
    app_tier: str = "Unlimited"
    provider: str = "admin"
    api_name: str = "PizzaShackAPI"
    version: str = "1.0.0"
    context_template: str = "/pizzashack"
    api_tier: str | None = None
    resources: list[Resource] = field(default_factory=lambda: [Resource("/menu", "GET")])
    sub_tier: str = "Unlimited"
    sub_status: str = "UNBLOCKED"
    key_type: str = "PRODUCTION"
    consumer_key: str = field(default_factory=lambda: uuid.uuid4().hex[:28])
    consumer_secret: str = field(default_factory=lambda: uuid.uuid4().hex[:28])
    grant_types: str = "refresh_token password client_credentials"
    token: str = field(default_factory=new_token)
    refresh_token: str | None = field(default_factory=new_token)
    user_type: str = "APPLICATION"
    authz_user: str = "admin"
    grant_type: str = "client_credentials"
    scopes: tuple[str, ...] = ("am_application_scope", "default")
    token_state: str = "ACTIVE"
    validity_ms: int = 3600 * 1000
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    subscribe: bool = True

    @property
    def context(self) -> str:
        return f"{self.context_template}/{self.version}"

    @property
    def client_name(self) -> str:
        return f"{self.subscriber}_{self.app_name}_{self.key_type}"


def seed_sql(s: Seed, variant: str = "2.6") -> list[str]:
    """The INSERTs for @s, as WSO2 @variant ("2.6" or "2.1") makes them.
    Shared rows (subscriber, application, API) are inserted only once, so
    several seeds may describe keys of the same application or
    subscriptions to the same API."""
    v26 = variant == "2.6"
    now = utc_text(s.created)
    sub_id = f"(SELECT SUBSCRIBER_ID FROM AM_SUBSCRIBER WHERE USER_ID = {q(s.subscriber)} AND TENANT_ID = {SUPER_TENANT})"
    app_id = f"(SELECT APPLICATION_ID FROM AM_APPLICATION WHERE NAME = {q(s.app_name)} AND SUBSCRIBER_ID = {sub_id})"
    api_id = (f"(SELECT API_ID FROM AM_API WHERE API_PROVIDER = {q(s.provider)} AND API_NAME = {q(s.api_name)}"
              f" AND API_VERSION = {q(s.version)})")
    client_id = f"(SELECT ID FROM IDN_OAUTH_CONSUMER_APPS WHERE CONSUMER_KEY = {q(s.consumer_key)})"
    token_id = str(uuid.uuid4())
    out = [
        "INSERT INTO AM_SUBSCRIBER (USER_ID, TENANT_ID, EMAIL_ADDRESS, DATE_SUBSCRIBED, CREATED_BY, CREATED_TIME)"
        f" SELECT {q(s.subscriber)}, {SUPER_TENANT}, '', {q(now)}, {q(s.subscriber)}, {q(now)}"
        f" FROM (SELECT 1 AS one) AS one_row WHERE NOT EXISTS {sub_id.replace('SELECT SUBSCRIBER_ID', 'SELECT 1')}",
        "INSERT INTO AM_APPLICATION (NAME, SUBSCRIBER_ID, APPLICATION_TIER, CALLBACK_URL, DESCRIPTION,"
        " APPLICATION_STATUS, GROUP_ID, CREATED_BY, CREATED_TIME, UUID" + (", TOKEN_TYPE" if v26 else "") + ")"
        f" SELECT {q(s.app_name)}, {sub_id}, {q(s.app_tier)}, NULL, NULL, 'APPROVED', '', {q(s.subscriber)},"
        f" {q(now)}, {q(str(uuid.uuid4()))}" + (", 'DEFAULT'" if v26 else "") +
        f" FROM (SELECT 1 AS one) AS one_row WHERE NOT EXISTS {app_id.replace('SELECT APPLICATION_ID', 'SELECT 1')}",
        "INSERT INTO AM_API (API_PROVIDER, API_NAME, API_VERSION, CONTEXT, CONTEXT_TEMPLATE, CREATED_BY, CREATED_TIME, API_TIER)"
        f" SELECT {q(s.provider)}, {q(s.api_name)}, {q(s.version)}, {q(s.context)}, {q(s.context_template)},"
        f" {q(s.provider)}, {q(now)}, {q(s.api_tier)}"
        f" FROM (SELECT 1 AS one) AS one_row WHERE NOT EXISTS {api_id.replace('SELECT API_ID', 'SELECT 1')}",
    ]
    for r in s.resources:
        out.append(
            "INSERT INTO AM_API_URL_MAPPING (API_ID, HTTP_METHOD, AUTH_SCHEME, URL_PATTERN, THROTTLING_TIER)"
            f" SELECT {api_id}, {q(r.verb)}, {q(r.auth)}, {q(r.pattern)}, {q(r.tier)}"
            " FROM (SELECT 1 AS one) AS one_row WHERE NOT EXISTS (SELECT 1 FROM AM_API_URL_MAPPING"
            f" WHERE API_ID = {api_id} AND HTTP_METHOD = {q(r.verb)} AND URL_PATTERN = {q(r.pattern)})")
        if r.scope:
            out += scope_sql(s, r, v26)
    if s.subscribe:
        out.append(
            "INSERT INTO AM_SUBSCRIPTION (TIER_ID, API_ID, APPLICATION_ID, SUB_STATUS, SUBS_CREATE_STATE,"
            " CREATED_BY, CREATED_TIME, UUID)"
            f" SELECT {q(s.sub_tier)}, {api_id}, {app_id}, {q(s.sub_status)}, 'SUBSCRIBE', {q(s.subscriber)},"
            f" {q(now)}, {q(str(uuid.uuid4()))}"
            " FROM (SELECT 1 AS one) AS one_row WHERE NOT EXISTS (SELECT 1 FROM AM_SUBSCRIPTION"
            f" WHERE API_ID = {api_id} AND APPLICATION_ID = {app_id})")
    out += [
        "INSERT INTO IDN_OAUTH_CONSUMER_APPS (CONSUMER_KEY, CONSUMER_SECRET, USERNAME, TENANT_ID, USER_DOMAIN,"
        " APP_NAME, OAUTH_VERSION, CALLBACK_URL, GRANT_TYPES)"
        f" VALUES ({q(s.consumer_key)}, {q(s.consumer_secret)}, {q(s.subscriber)}, {SUPER_TENANT}, 'PRIMARY',"
        f" {q(s.client_name)}, 'OAuth-2.0', NULL, {q(s.grant_types)})",
        "INSERT INTO AM_APPLICATION_KEY_MAPPING (APPLICATION_ID, CONSUMER_KEY, KEY_TYPE, STATE, CREATE_MODE)"
        f" VALUES ({app_id}, {q(s.consumer_key)}, {q(s.key_type)}, 'COMPLETED', 'CREATED')",
    ]
    if s.token:
        cols = ("TOKEN_ID, ACCESS_TOKEN, REFRESH_TOKEN, CONSUMER_KEY_ID, AUTHZ_USER, TENANT_ID, USER_DOMAIN,"
                " USER_TYPE, GRANT_TYPE, TIME_CREATED, REFRESH_TOKEN_TIME_CREATED, VALIDITY_PERIOD,"
                " REFRESH_TOKEN_VALIDITY_PERIOD, TOKEN_SCOPE_HASH, TOKEN_STATE, TOKEN_STATE_ID, SUBJECT_IDENTIFIER")
        vals = (f"{q(token_id)}, {q(s.token)}, {q(s.refresh_token)}, {client_id}, {q(s.authz_user)}, {SUPER_TENANT},"
                f" 'PRIMARY', {q(s.user_type)}, {q(s.grant_type)}, {q(now)}, {q(now)}, {s.validity_ms},"
                f" 84600000, {q(scope_hash(s.scopes))}, {q(s.token_state)},"
                f" {q('NONE' if s.token_state == 'ACTIVE' else str(uuid.uuid4()))}, {q(s.authz_user)}")
        if v26:
            cols += ", ACCESS_TOKEN_HASH, REFRESH_TOKEN_HASH"
            vals += f", {q(hash_json(s.token))}, {q(hash_json(s.refresh_token) if s.refresh_token else None)}"
        out.append(f"INSERT INTO IDN_OAUTH2_ACCESS_TOKEN ({cols}) VALUES ({vals})")
        for sc in s.scopes:
            out.append("INSERT INTO IDN_OAUTH2_ACCESS_TOKEN_SCOPE (TOKEN_ID, TOKEN_SCOPE, TENANT_ID)"
                       f" VALUES ({q(token_id)}, {q(sc)}, {SUPER_TENANT})")
    return out


def scope_sql(s: Seed, r: Resource, v26: bool) -> list[str]:
    """A scope on resource @r (2.6: NAME + IDN_OAUTH2_SCOPE_BINDING)."""
    scope_id = f"(SELECT SCOPE_ID FROM IDN_OAUTH2_SCOPE WHERE NAME = {q(r.scope)} AND TENANT_ID = {SUPER_TENANT})"
    out = [
        "INSERT INTO IDN_OAUTH2_SCOPE (NAME, DISPLAY_NAME, DESCRIPTION, TENANT_ID)"
        f" SELECT {q(r.scope)}, {q(r.scope)}, '', {SUPER_TENANT} FROM (SELECT 1 AS one) AS one_row"
        f" WHERE NOT EXISTS {scope_id.replace('SELECT SCOPE_ID', 'SELECT 1')}",
    ]
    for role in r.scope_roles:
        out.append(f"INSERT INTO IDN_OAUTH2_SCOPE_BINDING (SCOPE_ID, SCOPE_BINDING) VALUES ({scope_id}, {q(role)})")
    # APIUtil.getResourceKey: context (with version) + "/" + version + pattern + ":" + verb
    path = f"{s.context}/{s.version}{r.pattern}:{r.verb}"
    out.append("INSERT INTO IDN_OAUTH2_RESOURCE_SCOPE (RESOURCE_PATH, SCOPE_ID, TENANT_ID)"
               f" VALUES ({q(path)}, {scope_id}, {SUPER_TENANT})")
    return out


# Our dbscripts are 2.6-shaped; this makes the token tables look like 2.1's.
SCHEMA_21_SQL = [
    "DROP INDEX IDX_ATH ON IDN_OAUTH2_ACCESS_TOKEN",
    "ALTER TABLE IDN_OAUTH2_ACCESS_TOKEN DROP COLUMN ACCESS_TOKEN_HASH",
    "ALTER TABLE IDN_OAUTH2_ACCESS_TOKEN DROP COLUMN REFRESH_TOKEN_HASH",
    "ALTER TABLE AM_APPLICATION DROP COLUMN TOKEN_TYPE",
]


def schema_21_sqlite() -> list[str]:
    # SQLite names indexes globally: DROP INDEX takes no table
    return ["DROP INDEX IF EXISTS IDX_ATH"] + SCHEMA_21_SQL[1:]


def apply_sqlite(db_path, statements) -> None:
    con = sqlite3.connect(str(db_path), timeout=30)
    try:
        for st in statements:
            con.execute(st)
        con.commit()
    finally:
        con.close()


def apply_mariadb(mariadb, db: str, statements) -> None:
    mariadb._client([], db=db, stdin=";\n".join(statements) + ";\n")
