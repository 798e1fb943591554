/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Key Manager (profile api-key-manager, and part of default): OAuth2
 * tokens on WSO2's IDN_* tables, API key validation on the AM_* tables, and
 * the three ways a gateway asks for it (Thrift on 10397, the Thrift login
 * at /thriftAuthenticator, SOAP APIKeyValidationService), the store-side
 * application key operations, the backend JWT and the gateway cache
 * invalidation on revoke.
 *
 * Layout (one concern per file, all sharing this header):
 *   am-km-util.c      token / client id generators, hash formats, timestamps
 *   am-km-schema.c    which WSO2 schema variant the database has (2.1, 2.6)
 *   am-km-validate.c  the validation core and its Key Manager-side cache
 *   am-km-tokens.c    token issue / reuse / refresh / revoke on IDN_OAUTH2_*
 *   am-km-oauth.c     POST /oauth2/token and /oauth2/revoke (libsoup)
 *   am-km-apps.c      application keys: IDN_OAUTH_CONSUMER_APPS + AM_APPLICATION_KEY_MAPPING
 *   am-km-thrift*.c   APIKeyValidationService over TLS + TBinaryProtocol, and
 *                     AuthenticatorService over HTTPS + TCompactProtocol
 *   am-km-soap.c      /services/APIKeyValidationService (WSClient)
 *   am-km-jwt.c       the backend JWT (X-JWT-Assertion) signed with the keystore key
 *   am-km-notify.c    tell every gateway environment that tokens were revoked
 *   am-km-module.c    the module: configuration, start, stop
 *
 * Threads: everything marked "blocks" touches the database and runs on a
 * worker thread (Thrift connection threads, am_db_run_async, GTask); the
 * AmKm object itself is immutable after start except for its internally
 * locked caches, so it may be used from any thread.
 */
#pragma once

#include "am-apim-conf.h"
#include "am-db.h"
#include "am-server.h"

#define AM_KM_ERROR (am_km_error_quark ())
GQuark am_km_error_quark (void);

typedef enum {
	AM_KM_ERROR_FAILED,	     /* database or internal failure */
	AM_KM_ERROR_INVALID_CLIENT,  /* unknown client / bad secret / inactive app */
	AM_KM_ERROR_INVALID_GRANT,   /* bad user credentials, bad/expired refresh token */
	AM_KM_ERROR_UNAUTHORIZED_CLIENT, /* the client may not use this grant type */
	AM_KM_ERROR_INVALID_SCOPE,
	AM_KM_ERROR_INVALID_REQUEST,
	AM_KM_ERROR_SESSION,	     /* Thrift: invalid session id */
	AM_KM_ERROR_NOT_FOUND,
	AM_KM_ERROR_EXISTS,
} AmKmErrorCode;

/* WSO2's APIConstants.KeyValidationStatus / APISecurityConstants codes. */
enum {
	AM_KV_GENERAL_ERROR = 900900,
	AM_KV_INVALID_CREDENTIALS = 900901,
	AM_KV_MISSING_CREDENTIALS = 900902,
	AM_KV_ACCESS_TOKEN_EXPIRED = 900903,
	AM_KV_ACCESS_TOKEN_INACTIVE = 900904,
	AM_KV_INCORRECT_ACCESS_TOKEN_TYPE = 900905,
	AM_KV_INCORRECT_API_RESOURCE = 900906,
	AM_KV_API_BLOCKED = 900907,
	AM_KV_RESOURCE_FORBIDDEN = 900908,
	AM_KV_SUBSCRIPTION_INACTIVE = 900909,
	AM_KV_INVALID_SCOPE = 900910,
};

/* Validity of a token that never expires, as WSO2 reports it (Long.MAX_VALUE). */
#define AM_KM_NEVER_EXPIRES G_MAXINT64

/* ---- configuration: repository/conf/identity/identity.xml (OAuth) ---- */

typedef struct {
	gint64 app_token_validity;   /* OAuth/AccessTokenDefaultValidityPeriod (s), 3600 */
	gint64 user_token_validity;  /* OAuth/UserAccessTokenDefaultValidityPeriod (s), 3600 */
	gint64 refresh_token_validity; /* OAuth/RefreshTokenValidityPeriod (s), 84600 */
	int timestamp_skew;	     /* OAuth/TimestampSkew (s), 300 */
	gboolean renew_refresh_token; /* OAuth/RenewRefreshTokenForRefreshGrant, true */
	gint64 thrift_session_timeout; /* thrift session validity (ms), 1800000 */
} AmKmConf;

/* ---- the schema variant of the API-M database ---- */

typedef struct {
	gboolean token_hash;	   /* IDN_OAUTH2_ACCESS_TOKEN.ACCESS_TOKEN_HASH (2.6) */
	gboolean scope_binding;	   /* IDN_OAUTH2_SCOPE.NAME + IDN_OAUTH2_SCOPE_BINDING (2.6);
				    * else SCOPE_KEY + ROLES (2.1) */
	gboolean app_token_type;   /* AM_APPLICATION.TOKEN_TYPE (2.6) */
	gboolean app_expiry_times; /* IDN_OAUTH_CONSUMER_APPS.*_EXPIRE_TIME (2.6) */
	gboolean app_state;	   /* IDN_OAUTH_CONSUMER_APPS.APP_STATE (2.x) */
	gboolean policies;	   /* AM_POLICY_SUBSCRIPTION (2.x advanced throttling tables) */
} AmKmSchema;

/* Blocks. */
gboolean am_km_schema_detect (AmDbConn *conn, AmKmSchema *schema, GError **error);

/* ---- the key manager ---- */

typedef struct _AmKm AmKm;

AmServer *am_km_get_server (AmKm *km);
AmDb *am_km_get_db (AmKm *km); /* the API-M datasource (AM_* and IDN_* tables) */
const AmKmConf *am_km_get_conf (AmKm *km);
const AmApimConf *am_km_get_apim (AmKm *km); /* api-manager.xml as of start */
const AmKmSchema *am_km_get_schema (AmKm *km);
/* The clock every expiry check uses (microseconds since the epoch, UTC);
 * g_get_real_time unless a test replaced it. */
gint64 am_km_now (AmKm *km);
void am_km_set_clock (AmKm *km, gint64 (*now) (void));

/* A Key Manager without the network parts, for unit tests and tools:
 * @db is the API-M datasource; @apim may be NULL (defaults).  Blocks. */
AmKm *am_km_new_for_db (AmDb *db, const AmApimConf *apim, const AmKmConf *conf, GError **error);
void am_km_free (AmKm *km);
/* A Key Manager of @server's configuration (api-manager.xml DataSourceName,
 * identity.xml, the user store) without the network parts, for modules
 * that read tokens or make OAuth clients in profiles where the keymanager
 * module does not run (api-publisher, api-store).  Revocations made by a
 * Key Manager in another process are not reported to it.  Blocks. */
AmKm *am_km_new_for_server (AmServer *server, GError **error);

/* ---- util (am-km-util.c) ---- */

/* A random UUID (version 4), lowercase, 36 characters. */
char *am_km_uuid4 (void);
/* An access/refresh token as WSO2 2.x makes them: the name-based (version 3,
 * MD5) UUID of a random UUID's text. */
char *am_km_new_token (void);
/* A consumer key or secret as WSO2 makes them: HMAC-SHA1 over random data,
 * standard Base64 (28 characters) with '/'->'_', '='->'a', '+'->'f'. */
char *am_km_new_client_id (void);
/* {"hash":"<sha256 hex>","algorithm":"SHA-256"}: the 2.6 *_HASH column value. */
char *am_km_hash_json (const char *token);
/* TOKEN_SCOPE_HASH: md5 hex of the scopes sorted and joined by one space. */
char *am_km_scope_hash (const char *const *scopes);
/* 'YYYY-MM-DD HH:MM:SS[.ffffff]' read as UTC -> microseconds since the
 * epoch; -1 if it does not parse. */
gint64 am_km_parse_timestamp (const char *text);
/* Constant-time string equality (secrets). */
gboolean am_km_secret_equal (const char *a, const char *b);

/* ---- tokens (am-km-tokens.c reads and writes; validation reads) ---- */

typedef struct {
	char *token_id;
	char *access_token;
	char *refresh_token;
	gint64 consumer_key_id;	  /* IDN_OAUTH_CONSUMER_APPS.ID */
	char *consumer_key;
	char *authz_user;	  /* tenant-aware user name, no domain */
	int tenant_id;
	char *user_domain;	  /* PRIMARY */
	char *user_type;	  /* APPLICATION / APPLICATION_USER */
	char *grant_type;
	char *token_state;	  /* ACTIVE / EXPIRED / REVOKED / INACTIVE */
	gint64 time_created;	  /* usec since the epoch, UTC */
	gint64 validity_ms;	  /* < 0: never expires */
	gint64 refresh_time_created;
	gint64 refresh_validity_ms;
	char **scopes;		  /* sorted */
} AmKmToken;

void am_km_token_free (AmKmToken *token);
/* The token row for @access_token (by ACCESS_TOKEN_HASH on 2.6, ACCESS_TOKEN
 * on 2.1), any state; NULL without @error when there is none.  Blocks. */
AmKmToken *am_km_token_lookup (AmKm *km, AmDbConn *conn, const char *access_token, GError **error);
/* Microseconds of validity left at @now (after the skew allowance);
 * G_MAXINT64 for a token that never expires. */
gint64 am_km_token_remaining (AmKm *km, const AmKmToken *token, gint64 now);
/* Whether @token is an application token (its scopes hold ApplicationTokenScope). */
gboolean am_km_token_is_application (AmKm *km, const AmKmToken *token);

/* ---- validation (am-km-validate.c) ---- */

typedef struct {
	const char *context;		/* /pizzashack/1.0.0 */
	const char *version;		/* 1.0.0, or _default_1.0.0 */
	const char *access_token;
	const char *required_auth_level;/* Any / Application / Application_User */
	const char *client_domain;	/* referer; may be NULL */
	const char *matching_resource;	/* /menu, /order/{orderId} */
	const char *http_verb;		/* GET */
} AmKeyValidationRequest;

/* APIKeyValidationInfoDTO (Thrift field ids in comments). */
typedef struct {
	gboolean authorized;		/* 1 */
	char *subscriber;		/* 2 */
	char *tier;			/* 3 */
	char *type;			/* 4 PRODUCTION / SANDBOX */
	char *end_user_token;		/* 5 the backend JWT */
	char *end_user_name;		/* 6 user@tenant */
	char *application_name;		/* 7 */
	int validation_status;		/* 8 0 when authorized */
	char *application_id;		/* 9 */
	char *application_tier;		/* 10 */
	char *api_name;			/* 11 */
	char *consumer_key;		/* 12 */
	char *api_publisher;		/* 13 */
	char **authorized_domains;	/* 14 */
	char **scopes;			/* 15 */
	gint64 validity_period;		/* 16 ms; AM_KM_NEVER_EXPIRES */
	gint64 issued_time;		/* 17 ms since the epoch */
	gboolean content_aware;		/* 18 */
	char *api_tier;			/* 19 */
	char **throttling_data_list;	/* 20 */
	int spike_arrest_limit;		/* 21 */
	char *subscriber_tenant_domain; /* 22 */
	char *spike_arrest_unit;	/* 23 */
	gboolean stop_on_quota_reach;	/* 24 */
	char *user_type;		/* SOAP only: APPLICATION / APPLICATION_USER */
} AmKeyValidationInfo;

void am_key_validation_info_free (AmKeyValidationInfo *info);
AmKeyValidationInfo *am_key_validation_info_copy (const AmKeyValidationInfo *info);

/* The whole WSO2 chain: token, auth level, subscription, scopes; with the
 * backend JWT when JWTConfiguration/EnableJWTGeneration is on.  A refusal is
 * a result (authorized FALSE, validation_status set), not an error; @error
 * is only for failures (database down), which callers report as
 * APIKeyMgtException.  Uses the Key Manager cache when
 * EnableKeyManagerTokenCache is on.  Blocks. */
AmKeyValidationInfo *am_km_validate_key (AmKm *km, const AmKeyValidationRequest *req,
					  GError **error);
/* WebSocket handshake: token + subscription, no resource.  Blocks. */
AmKeyValidationInfo *am_km_validate_key_for_handshake (AmKm *km, const char *context,
							const char *version,
							const char *access_token, GError **error);

/* URITemplate (Thrift ids in comments). */
typedef struct {
	char *uri_template;	     /* 1 */
	char *resource_uri;	     /* 2 */
	char *resource_sandbox_uri;  /* 3 */
	char *http_verb;	     /* 4 */
	char *auth_type;	     /* 5 */
	char *throttling_tier;	     /* 6 */
	char **throttling_conditions;/* 7 */
	char *applicable_level;	     /* 8 */
} AmUriTemplate;

void am_uri_template_free (AmUriTemplate *t);
/* Every (uriTemplate, verb) of the API at @context/@version (AM_API_URL_MAPPING),
 * a GPtrArray of AmUriTemplate.  Blocks. */
GPtrArray *am_km_get_uri_templates (AmKm *km, const char *context, const char *version,
				    GError **error);

/* Tokens were revoked (or expired by a refresh): drop them from the Key
 * Manager cache and tell the gateways (am-km-notify.c).  Any thread. */
void am_km_tokens_revoked (AmKm *km, const char *const *access_tokens);
/* Drop every cached validation result (subscription changes). */
void am_km_cache_clear (AmKm *km);

extern const AmModule am_keymanager_module;
/* POST /client-registration/v0.11|v0.14/register (am-km-dcr.c): served in
 * the key manager, publisher and store profiles, as 2.x ships the web app. */
extern const AmModule am_dcr_module;

/* ---- sub-components started by the module, in this order ---- */

typedef struct {
	const char *name;
	/* Returns the component's state; NULL with @error aborts the start.
	 * A component that is switched off returns a non-NULL dummy state
	 * (GINT_TO_POINTER (1)) and logs why. */
	gpointer (*start) (AmKm *km, GError **error);
	void (*stop) (gpointer state);
} AmKmComponent;

/* The module's components (am-km-module.c lists them; each file exports one). */
extern const AmKmComponent am_km_oauth_component;  /* am-km-oauth.c */
extern const AmKmComponent am_km_thrift_auth_component; /* am-km-thrift-auth.c */
extern const AmKmComponent am_km_thrift_component; /* am-km-thrift.c */
extern const AmKmComponent am_km_soap_component;   /* am-km-soap.c */
extern const AmKmComponent am_km_notify_component; /* am-km-notify.c */

/* Called by am_km_tokens_revoked after the cache is cleared, for every
 * hook added (the notify component's, and an in-process gateway's).
 * @tokens is NULL-terminated.  Hooks run with the hook lock held: they
 * must only queue or drop work, never block or revoke.  Once
 * am_km_remove_revoke_hook returned, the hook is not running and will not
 * be called again. */
typedef void (*AmKmRevokeHook) (gpointer data, const char *const *tokens);
void am_km_add_revoke_hook (AmKm *km, AmKmRevokeHook hook, gpointer data);
void am_km_remove_revoke_hook (AmKm *km, AmKmRevokeHook hook, gpointer data);

/* ---- OAuth clients (am-km-tokens.c) ---- */

/* An IDN_OAUTH_CONSUMER_APPS row. */
typedef struct {
	gint64 id;
	char *consumer_key;
	char *consumer_secret;
	char *username;		/* owner, tenant-aware */
	int tenant_id;
	char *user_domain;
	char *app_name;
	char *callback_url;
	char *grant_types;	/* space separated */
	char *app_state;	/* ACTIVE / REVOKED; NULL on 1.10 schemas */
	gint64 user_token_expiry;   /* s, 2.6 per-app override, 0 = none */
	gint64 app_token_expiry;    /* s */
	gint64 refresh_token_expiry;/* s */
} AmKmClient;

void am_km_client_free (AmKmClient *client);
/* NULL without @error when there is no such client.  Blocks. */
AmKmClient *am_km_client_lookup (AmKm *km, AmDbConn *conn, const char *consumer_key,
				 GError **error);

/* ---- tokens: issue, refresh, revoke (am-km-tokens.c) ---- */

typedef struct {
	char *access_token;
	char *refresh_token;	/* the row's refresh token (a client_credentials
				 * response leaves it out) */
	char **scopes;		/* sorted */
	gint64 expires_in;	/* seconds left; AM_KM_NEVER_EXPIRES_IN for never */
	char *token_id;
	char *replaced_token;	/* refresh only: the access token it deactivated */
} AmKmIssuedToken;

/* expires_in of a token that never expires: WSO2's Long.MAX_VALUE / 1000. */
#define AM_KM_NEVER_EXPIRES_IN (G_MAXINT64 / 1000)

void am_km_issued_token_free (AmKmIssuedToken *t);
/* Issue a token for @client to @authz_user (NULL: the client's owner, as
 * client_credentials does) with WSO2's reuse rule: an ACTIVE unexpired
 * token of the same client, user, user type and scope set is returned
 * again with its remaining time; an expired one is marked EXPIRED first.
 * @user_type "APPLICATION" or "APPLICATION_USER"; @scopes as granted
 * (NULL: "default"); @validity_s 0 = the default for the user type, < 0 =
 * never expires.  Blocks. */
AmKmIssuedToken *am_km_token_issue (AmKm *km, AmDbConn *conn, const AmKmClient *client,
				    const char *authz_user, const char *user_type,
				    const char *grant_type, const char *const *scopes,
				    gint64 validity_s, GError **error);
/* The client_credentials grant as /oauth2/token does it: the @requested
 * scopes the client's owner may have (RoleBasedScopesIssuer), "default"
 * when none, plus ApplicationTokenScope; then am_km_token_issue with
 * @validity_s (0 default, < 0 never expires).  Also what the Store's key
 * generation asks the token endpoint for.  Blocks. */
AmKmIssuedToken *am_km_token_issue_client_credentials (AmKm *km, AmDbConn *conn,
						       const AmKmClient *client,
						       const char *const *requested,
						       gint64 validity_s, GError **error);
/* The refresh_token grant: @refresh_token (by REFRESH_TOKEN_HASH on 2.6,
 * REFRESH_TOKEN on 2.1) must be @client's, its row ACTIVE or EXPIRED and
 * the latest for it, and the refresh token unexpired (else
 * AM_KM_ERROR_INVALID_GRANT).  @scopes NULL keeps the token's scopes; else
 * they must be a subset of them (AM_KM_ERROR_INVALID_SCOPE).  The old
 * access token becomes EXPIRED and is passed to am_km_tokens_revoked; the
 * new one gets a new refresh token when RenewRefreshTokenForRefreshGrant is
 * on, else keeps the old one with its creation time.  Blocks. */
AmKmIssuedToken *am_km_token_refresh (AmKm *km, AmDbConn *conn, const AmKmClient *client,
				      const char *refresh_token, const char *const *scopes,
				      GError **error);
/* RFC 7009 revocation by @client of @token, an access or refresh token
 * (@hint "access_token" / "refresh_token" says which to try first; NULL
 * tries both).  An ACTIVE or EXPIRED token row becomes REVOKED with a
 * random TOKEN_STATE_ID and is passed to am_km_tokens_revoked after the
 * commit; the row as it was is returned in @revoked (NULL when there was
 * nothing to revoke, which is not an error).  A token of another client
 * fails with AM_KM_ERROR_INVALID_CLIENT.  Blocks. */
gboolean am_km_token_revoke (AmKm *km, AmDbConn *conn, const AmKmClient *client,
			     const char *token, const char *hint, AmKmToken **revoked,
			     GError **error);

/* ---- application keys for the Store (am-km-apps.c) ---- */

/* Create the OAuth client of @application_id for @key_type (PRODUCTION /
 * SANDBOX) owned by @owner: IDN_OAUTH_CONSUMER_APPS row named
 * <owner>_<application name>_<key type>, AM_APPLICATION_REGISTRATION /
 * AM_APPLICATION_KEY_MAPPING rows as WSO2 2.x writes them (CREATED, then
 * COMPLETED with the consumer key).  @grant_types NULL: WSO2's default
 * list.  Fails with AM_KM_ERROR_EXISTS when the application already has
 * keys of that type.  Blocks. */
AmKmClient *am_km_app_create_keys (AmKm *km, AmDbConn *conn, gint64 application_id,
				   const char *key_type, const char *owner,
				   const char *grant_types, const char *callback_url,
				   GError **error);
/* A new consumer secret for @consumer_key; returns it.  Blocks. */
char *am_km_app_regenerate_secret (AmKm *km, AmDbConn *conn, const char *consumer_key,
				   GError **error);
/* Remove the keys of @application_id / @key_type: the OAuth client (its
 * tokens go with it, ON DELETE CASCADE), the key mapping and registration;
 * the revoked tokens are passed to am_km_tokens_revoked.  Blocks. */
gboolean am_km_app_delete_keys (AmKm *km, AmDbConn *conn, gint64 application_id,
				const char *key_type, GError **error);

/* An OAuth client that belongs to no Store application (DCR, the REST
 * API clients): an IDN_OAUTH_CONSUMER_APPS row named @app_name owned by
 * @owner ("user", "user@carbon.super", "DOMAIN/user") with new 28-character
 * key and secret; @grant_types space separated.  Commits.  Blocks. */
AmKmClient *am_km_client_create (AmKm *km, AmDbConn *conn, const char *app_name,
				 const char *owner, const char *grant_types,
				 const char *callback_url, GError **error);
/* The client named @app_name of the super tenant; NULL without @error
 * when there is none.  Blocks. */
AmKmClient *am_km_client_lookup_by_name (AmKm *km, AmDbConn *conn, const char *app_name,
					 GError **error);

/* ---- REST API scopes: tenant-conf.json RESTAPIScopes (am-km-tenantconf.c) ---- */

/* Where API-M 2.x keeps the tenant configuration: the config registry copy
 * wins; else the file the server seeds it from; else the built-in 2.6
 * default. */
#define AM_KM_TENANT_CONF_REG_COLLECTION "/_system/config/apimgt/applicationdata"
#define AM_KM_TENANT_CONF_NAME "tenant-conf.json"
#define AM_KM_TENANT_CONF_FILE "repository/resources/tenant-conf.json"

/* RESTAPIScopes of tenant-conf.json text: scope name -> NULL-terminated
 * role list (GStrv; empty when the scope has no roles).  Fails on text
 * that is not a tenant configuration. */
GHashTable *am_km_rest_scopes_parse (const char *json, gssize len, GError **error);
/* The super tenant's REST scopes: the registry resource
 * AM_KM_TENANT_CONF_REG_COLLECTION/tenant-conf.json in @regdb (may be
 * NULL), else @carbon_home/AM_KM_TENANT_CONF_FILE (may be NULL), else the
 * default.  Blocks. */
GHashTable *am_km_rest_scopes_load (AmDb *regdb, const char *carbon_home, GError **error);
/* The same for @km's server (its registry datasource and carbon home;
 * the default for a Key Manager without a server).  Blocks. */
GHashTable *am_km_get_rest_scopes (AmKm *km, GError **error);

/* ---- backend JWT (am-km-jwt.c) ---- */

/* The X-JWT-Assertion for a successful validation of @info at
 * @context/@version, signed with the keystore key (SHA256withRSA) or
 * unsigned (SignatureAlgorithm NONE).  Any thread. */
char *am_km_jwt_generate (AmKm *km, const AmKeyValidationInfo *info, const char *context,
			  const char *version, GError **error);

/* ---- Thrift sessions (am-km-thrift-auth.c) ---- */

/* Check @session_id (sliding validity, refreshed on success).  Blocks. */
gboolean am_km_session_check (AmKm *km, const char *session_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmKm, am_km_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmKmToken, am_km_token_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmKmClient, am_km_client_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmKmIssuedToken, am_km_issued_token_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmKeyValidationInfo, am_key_validation_info_free)
