/* SPDX-License-Identifier: Apache-2.0 */
/*
 * API key validation, WSO2 2.x's DefaultKeyValidationHandler chain on the
 * same rows:
 *
 *   1. the token: known, ACTIVE, not expired (with TimestampSkew) -> 900901
 *   2. the resource's auth level: "Application" needs an application token
 *      (scope am_application_scope), "Application_User" a user token -> 900905
 *   3. the subscription of the token's application to context + version
 *      (the _default_ prefix selects WSO2's default-version query):
 *      none -> 900908, BLOCKED (or PROD_ONLY_BLOCKED with a production key)
 *      -> 900907, ON_HOLD / REJECTED -> 900909
 *   4. the resource's scope (IDN_OAUTH2_RESOURCE_SCOPE): the token must hold
 *      it and its user one of the scope's roles -> 900910
 *
 * then the backend JWT when enabled.  Results are cached per (token,
 * context, version, resource, verb, auth level) for TokenCacheExpiry when
 * EnableKeyManagerTokenCache is on, never beyond the token's own expiry,
 * and dropped at once when the token is revoked.
 */
#define G_LOG_DOMAIN "am.km"
#include "config.h"

#include "am-km-private.h"
#include "am-userstore.h"

#include <string.h>

#define DEFAULT_VERSION_PREFIX "_default_"
#define API_LEVEL_THROTTLE_KEY "api_level_throttling_key"

/* ---- the DTOs ---- */

void
am_key_validation_info_free (AmKeyValidationInfo *info)
{
	if (info == NULL)
		return;
	g_free (info->subscriber);
	g_free (info->tier);
	g_free (info->type);
	g_free (info->end_user_token);
	g_free (info->end_user_name);
	g_free (info->application_name);
	g_free (info->application_id);
	g_free (info->application_tier);
	g_free (info->api_name);
	g_free (info->consumer_key);
	g_free (info->api_publisher);
	g_strfreev (info->authorized_domains);
	g_strfreev (info->scopes);
	g_free (info->api_tier);
	g_strfreev (info->throttling_data_list);
	g_free (info->subscriber_tenant_domain);
	g_free (info->spike_arrest_unit);
	g_free (info->user_type);
	g_free (info);
}

AmKeyValidationInfo *
am_key_validation_info_copy (const AmKeyValidationInfo *info)
{
	AmKeyValidationInfo *c = g_memdup2 (info, sizeof *info);

	c->subscriber = g_strdup (info->subscriber);
	c->tier = g_strdup (info->tier);
	c->type = g_strdup (info->type);
	c->end_user_token = g_strdup (info->end_user_token);
	c->end_user_name = g_strdup (info->end_user_name);
	c->application_name = g_strdup (info->application_name);
	c->application_id = g_strdup (info->application_id);
	c->application_tier = g_strdup (info->application_tier);
	c->api_name = g_strdup (info->api_name);
	c->consumer_key = g_strdup (info->consumer_key);
	c->api_publisher = g_strdup (info->api_publisher);
	c->authorized_domains = g_strdupv (info->authorized_domains);
	c->scopes = g_strdupv (info->scopes);
	c->api_tier = g_strdup (info->api_tier);
	c->throttling_data_list = g_strdupv (info->throttling_data_list);
	c->subscriber_tenant_domain = g_strdup (info->subscriber_tenant_domain);
	c->spike_arrest_unit = g_strdup (info->spike_arrest_unit);
	c->user_type = g_strdup (info->user_type);
	return c;
}

void
am_uri_template_free (AmUriTemplate *t)
{
	if (t == NULL)
		return;
	g_free (t->uri_template);
	g_free (t->resource_uri);
	g_free (t->resource_sandbox_uri);
	g_free (t->http_verb);
	g_free (t->auth_type);
	g_free (t->throttling_tier);
	g_strfreev (t->throttling_conditions);
	g_free (t->applicable_level);
	g_free (t);
}

void
am_km_token_free (AmKmToken *token)
{
	if (token == NULL)
		return;
	g_free (token->token_id);
	g_free (token->access_token);
	g_free (token->refresh_token);
	g_free (token->consumer_key);
	g_free (token->authz_user);
	g_free (token->user_domain);
	g_free (token->user_type);
	g_free (token->grant_type);
	g_free (token->token_state);
	g_strfreev (token->scopes);
	g_free (token);
}

/* ---- tokens ---- */

static int
cmp_strp (gconstpointer a, gconstpointer b)
{
	return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
add_unique (GPtrArray *set, const char *value)
{
	if (value != NULL && !g_ptr_array_find_with_equal_func (set, value, g_str_equal, NULL))
		g_ptr_array_add (set, g_strdup (value));
}

/* Called for every row of a token query with the first column after the
 * token's own. */
typedef void (*TokenRowFunc) (AmDbStmt *st, int col, gpointer data);

#define TOKEN_COLS 16

/* The token row for @access_token joined to its client and its scope rows,
 * plus @extra_cols from @extra_joins (whose @n_binds placeholders come
 * before the token's); one round trip. */
static AmKmToken *
token_query (AmKm *km, AmDbConn *conn, const char *extra_cols, const char *extra_joins,
	     const char *const *binds, guint n_binds, const char *access_token,
	     TokenRowFunc row_func, gpointer data, GError **error)
{
	g_autofree char *sql = g_strdup_printf (
		"SELECT T.TOKEN_ID, T.ACCESS_TOKEN, T.REFRESH_TOKEN, T.CONSUMER_KEY_ID, "
		"C.CONSUMER_KEY, T.AUTHZ_USER, T.TENANT_ID, T.USER_DOMAIN, T.USER_TYPE, "
		"T.GRANT_TYPE, T.TOKEN_STATE, T.TIME_CREATED, T.VALIDITY_PERIOD, "
		"T.REFRESH_TOKEN_TIME_CREATED, T.REFRESH_TOKEN_VALIDITY_PERIOD, S.TOKEN_SCOPE%s "
		"FROM IDN_OAUTH2_ACCESS_TOKEN T "
		"JOIN IDN_OAUTH_CONSUMER_APPS C ON T.CONSUMER_KEY_ID = C.ID "
		"LEFT JOIN IDN_OAUTH2_ACCESS_TOKEN_SCOPE S ON S.TOKEN_ID = T.TOKEN_ID%s "
		"WHERE T.%s = ?",
		extra_cols, extra_joins, km->schema.token_hash ? "ACCESS_TOKEN_HASH" : "ACCESS_TOKEN");
	g_autofree char *hash = km->schema.token_hash ? am_km_hash_json (access_token) : NULL;
	g_autoptr (AmDbStmt) st = am_db_prepare (conn, sql, error);
	g_autoptr (GPtrArray) scopes = g_ptr_array_new_with_free_func (g_free);
	AmKmToken *t = NULL;
	AmDbStep step;

	if (st == NULL)
		return NULL;
	for (guint i = 0; i < n_binds; i++)
		am_db_bind_text (st, (int) i + 1, binds[i]);
	am_db_bind_text (st, (int) n_binds + 1, hash != NULL ? hash : access_token);
	while ((step = am_db_step (st, error)) == AM_DB_STEP_ROW) {
		const char *id = am_db_column_text (st, 0);

		if (t == NULL) {
			t = g_new0 (AmKmToken, 1);
			t->token_id = g_strdup (id);
			t->access_token = g_strdup (am_db_column_text (st, 1));
			t->refresh_token = g_strdup (am_db_column_text (st, 2));
			t->consumer_key_id = am_db_column_int64 (st, 3);
			t->consumer_key = g_strdup (am_db_column_text (st, 4));
			t->authz_user = g_strdup (am_db_column_text (st, 5));
			t->tenant_id = (int) am_db_column_int64 (st, 6);
			t->user_domain = g_strdup (am_db_column_text (st, 7));
			t->user_type = g_strdup (am_db_column_text (st, 8));
			t->grant_type = g_strdup (am_db_column_text (st, 9));
			t->token_state = g_strdup (am_db_column_text (st, 10));
			t->time_created = am_km_parse_timestamp (am_db_column_text (st, 11));
			t->validity_ms = am_db_column_int64 (st, 12);
			t->refresh_time_created = am_km_parse_timestamp (am_db_column_text (st, 13));
			t->refresh_validity_ms = am_db_column_int64 (st, 14);
		} else if (g_strcmp0 (id, t->token_id) != 0) {
			continue; /* a hash collision would be astonishing; keep the first */
		}
		add_unique (scopes, am_db_column_text (st, 15));
		if (row_func != NULL)
			row_func (st, TOKEN_COLS, data);
	}
	if (step == AM_DB_STEP_ERROR) {
		am_km_token_free (t);
		return NULL;
	}
	if (t != NULL) {
		g_ptr_array_sort (scopes, cmp_strp);
		g_ptr_array_add (scopes, NULL);
		t->scopes = (char **) g_ptr_array_steal (scopes, NULL);
	}
	return t;
}

AmKmToken *
am_km_token_lookup (AmKm *km, AmDbConn *conn, const char *access_token, GError **error)
{
	return token_query (km, conn, "", "", NULL, 0, access_token, NULL, NULL, error);
}

gint64
am_km_token_remaining (AmKm *km, const AmKmToken *token, gint64 now)
{
	gint64 skew = (gint64) km->conf.timestamp_skew * G_USEC_PER_SEC;

	if (token->validity_ms < 0 || token->validity_ms >= G_MAXINT64 / 1000)
		return G_MAXINT64;
	if (token->time_created < 0)
		return 0; /* an unreadable TIME_CREATED never validates */
	return token->time_created + token->validity_ms * 1000 - (now - skew);
}

gboolean
am_km_token_is_application (AmKm *km, const AmKmToken *token)
{
	const char *app_scope = km->apim->application_token_scope != NULL
					? km->apim->application_token_scope
					: "am_application_scope";

	return token->scopes != NULL && g_strv_contains ((const char *const *) token->scopes,
							 app_scope);
}

/* ---- the cache ---- */

typedef struct {
	AmKeyValidationInfo *info;
	gint64 expires;	  /* g_get_monotonic_time deadline of the entry */
	gint64 token_end; /* am_km_now deadline of the token; G_MAXINT64 never */
	char *token;
} KmCacheEntry;

static void
cache_entry_free (gpointer p)
{
	KmCacheEntry *e = p;

	am_key_validation_info_free (e->info);
	g_free (e->token);
	g_free (e);
}

void
am_km_cache_init (AmKm *km)
{
	g_mutex_init (&km->cache_lock);
	km->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, cache_entry_free);
	km->cache_by_token = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
						    (GDestroyNotify) g_ptr_array_unref);
}

void
am_km_cache_fini (AmKm *km)
{
	g_hash_table_unref (km->cache);
	g_hash_table_unref (km->cache_by_token);
	g_mutex_clear (&km->cache_lock);
}

static gboolean
cache_enabled (AmKm *km)
{
	return km->apim->km_token_cache && km->apim->token_cache_expiry > 0;
}

static char *
cache_key (const AmKeyValidationRequest *req)
{
	/* NUL-free separators that cannot appear in a header value */
	return g_strjoin ("\x01", req->access_token, req->context, req->version,
			  req->matching_resource != NULL ? req->matching_resource : "",
			  req->http_verb != NULL ? req->http_verb : "",
			  req->required_auth_level != NULL ? req->required_auth_level : "", NULL);
}

static AmKeyValidationInfo *
cache_get (AmKm *km, const char *key)
{
	AmKeyValidationInfo *hit = NULL;
	KmCacheEntry *e;

	g_mutex_lock (&km->cache_lock);
	e = g_hash_table_lookup (km->cache, key);
	if (e != NULL) {
		if (g_get_monotonic_time () < e->expires && am_km_now (km) < e->token_end)
			hit = am_key_validation_info_copy (e->info);
		else
			g_hash_table_remove (km->cache, key);
	}
	g_mutex_unlock (&km->cache_lock);
	return hit;
}

static void
cache_put (AmKm *km, const char *key, const char *token, const AmKeyValidationInfo *info,
	   gint64 token_end)
{
	KmCacheEntry *e = g_new0 (KmCacheEntry, 1);
	GPtrArray *keys;

	e->info = am_key_validation_info_copy (info);
	e->expires = g_get_monotonic_time () +
		     (gint64) km->apim->token_cache_expiry * G_USEC_PER_SEC;
	e->token_end = token_end;
	e->token = g_strdup (token);
	g_mutex_lock (&km->cache_lock);
	g_hash_table_replace (km->cache, g_strdup (key), e);
	keys = g_hash_table_lookup (km->cache_by_token, token);
	if (keys == NULL) {
		keys = g_ptr_array_new_with_free_func (g_free);
		g_hash_table_insert (km->cache_by_token, g_strdup (token), keys);
	}
	if (!g_ptr_array_find_with_equal_func (keys, key, g_str_equal, NULL))
		g_ptr_array_add (keys, g_strdup (key));
	g_mutex_unlock (&km->cache_lock);
}

void
am_km_cache_clear (AmKm *km)
{
	g_mutex_lock (&km->cache_lock);
	g_hash_table_remove_all (km->cache);
	g_hash_table_remove_all (km->cache_by_token);
	g_mutex_unlock (&km->cache_lock);
}

void
am_km_tokens_revoked (AmKm *km, const char *const *access_tokens)
{
	g_mutex_lock (&km->cache_lock);
	for (guint i = 0; access_tokens != NULL && access_tokens[i] != NULL; i++) {
		GPtrArray *keys = g_hash_table_lookup (km->cache_by_token, access_tokens[i]);

		for (guint k = 0; keys != NULL && k < keys->len; k++)
			g_hash_table_remove (km->cache, g_ptr_array_index (keys, k));
		g_hash_table_remove (km->cache_by_token, access_tokens[i]);
	}
	g_mutex_unlock (&km->cache_lock);

	/* called under the lock (hooks only queue or drop), so once a hook is
	 * removed no call can still be on its way into it */
	if (access_tokens == NULL || access_tokens[0] == NULL)
		return;
	g_mutex_lock (&km->hook_lock);
	for (guint i = 0; i < km->revoke_hooks->len; i++) {
		KmRevokeHook *h = &g_array_index (km->revoke_hooks, KmRevokeHook, i);

		h->hook (h->data, access_tokens);
	}
	g_mutex_unlock (&km->hook_lock);
}

/* ---- the chain ---- */

static AmKeyValidationInfo *
refuse (AmKeyValidationInfo *info, int status)
{
	info->authorized = FALSE;
	info->validation_status = status;
	return info;
}

/* The user as WSO2 reports it: [DOMAIN/]user@tenant-domain. */
static char *
end_user_name (const AmKmToken *t)
{
	gboolean primary = t->user_domain == NULL || *t->user_domain == '\0' ||
			   g_ascii_strcasecmp (t->user_domain, "PRIMARY") == 0;

	return g_strdup_printf ("%s%s%s@%s", primary ? "" : t->user_domain, primary ? "" : "/",
				t->authz_user, AM_SUPER_TENANT_DOMAIN);
}

/* Step 1: fill the token part of @info; 0 or a refusal status. */
static int
check_token (AmKm *km, const AmKmToken *t, AmKeyValidationInfo *info, gint64 *token_end)
{
	gint64 now = am_km_now (km);
	gint64 remaining;

	if (t == NULL)
		return AM_KV_INVALID_CREDENTIALS;
	info->consumer_key = g_strdup (t->consumer_key);
	info->end_user_name = end_user_name (t);
	info->user_type = g_strdup (t->user_type);
	info->scopes = g_strdupv (t->scopes);
	info->issued_time = t->time_created / 1000;
	info->validity_period = t->validity_ms < 0 ? AM_KM_NEVER_EXPIRES : t->validity_ms;
	if (g_strcmp0 (t->token_state, "ACTIVE") != 0)
		return AM_KV_INVALID_CREDENTIALS;
	remaining = am_km_token_remaining (km, t, now);
	/* WSO2 treats the last second as expired */
	if (remaining <= 1000 * 1000)
		return AM_KV_INVALID_CREDENTIALS;
	*token_end = remaining == G_MAXINT64 ? G_MAXINT64 : now + remaining;
	return 0;
}

/* Step 2. */
static int
check_auth_level (AmKm *km, const AmKmToken *t, const char *level)
{
	gboolean app = am_km_token_is_application (km, t);

	if (level == NULL)
		return 0;
	if (g_ascii_strcasecmp (level, "Application") == 0 && !app)
		return AM_KV_INCORRECT_ACCESS_TOKEN_TYPE;
	if (g_ascii_strcasecmp (level, "Application_User") == 0 && app)
		return AM_KV_INCORRECT_ACCESS_TOKEN_TYPE;
	return 0;
}

/* The version WSO2 binds, and whether the default-version query applies. */
static const char *
plain_version (const char *version, gboolean *is_default)
{
	*is_default = g_str_has_prefix (version, DEFAULT_VERSION_PREFIX);
	return *is_default ? version + strlen (DEFAULT_VERSION_PREFIX) : version;
}

/* AM_API.CONTEXT holds the versioned context (/pizzashack/1.0.0); a call
 * through the default-version API may carry the bare one (/pizzashack). */
static char *
versioned_context (const char *context, const char *version)
{
	g_autofree char *suffix = g_strconcat ("/", version, NULL);

	if (g_str_has_suffix (context, suffix))
		return g_strdup (context);
	return g_strconcat (context, suffix, NULL);
}

/* What the validation query returns besides the token: the subscription
 * of the token's application to the API (WSO2's
 * ADVANCED_VALIDATE_SUBSCRIPTION_KEY_VERSION_SQL, or its _DEFAULT_ and
 * non-advanced variants) and the scopes bound to the resource. */
typedef struct {
	gboolean advanced;
	gboolean subscribed;
	AmKeyValidationInfo *sub; /* the subscription's DTO fields */
	char *sub_status;
	char *app_token_type;
	GPtrArray *resource_scopes;
} KmLookup;

static void
lookup_row (AmDbStmt *st, int c, gpointer data)
{
	KmLookup *l = data;
	AmKeyValidationInfo *sub = l->sub;

	add_unique (l->resource_scopes, am_db_column_text (st, c + 15));
	/* c + 16: the subscription's policy (advanced) or tier; NULL when
	 * there is no subscription WSO2's inner joins would find */
	if (l->subscribed || am_db_column_is_null (st, c + 2) || am_db_column_is_null (st, c + 16))
		return;
	l->subscribed = TRUE;
	sub->tier = g_strdup (am_db_column_text (st, c));
	sub->subscriber = g_strdup (am_db_column_text (st, c + 1));
	l->sub_status = g_strdup (am_db_column_text (st, c + 2));
	sub->application_id = g_strdup (am_db_column_text (st, c + 3));
	sub->application_name = g_strdup (am_db_column_text (st, c + 4));
	sub->application_tier = g_strdup (am_db_column_text (st, c + 5));
	sub->type = g_strdup (am_db_column_text (st, c + 6));
	sub->api_name = g_strdup (am_db_column_text (st, c + 7));
	sub->api_publisher = g_strdup (am_db_column_text (st, c + 8));
	l->app_token_type = g_strdup (am_db_column_text (st, c + 9));
	sub->subscriber_tenant_domain = g_strdup (AM_SUPER_TENANT_DOMAIN);
	if (l->advanced) {
		sub->api_tier = g_strdup (am_db_column_text (st, c + 10));
		sub->spike_arrest_limit = (int) am_db_column_int64 (st, c + 11);
		sub->spike_arrest_unit = g_strdup (am_db_column_text (st, c + 12));
		sub->stop_on_quota_reach = am_db_column_int64 (st, c + 13) != 0;
		sub->content_aware = g_strcmp0 (am_db_column_text (st, c + 14), "bandwidthVolume") == 0;
		sub->throttling_data_list = g_new0 (char *, 2);
		sub->throttling_data_list[0] = g_strdup (API_LEVEL_THROTTLE_KEY);
	}
}

/* The token, its subscription to context/version and the resource's
 * scopes in one round trip: the subscription is found through the token's
 * consumer key (NULL columns: not subscribed), the resource scopes by
 * IDN_OAUTH2_RESOURCE_SCOPE.RESOURCE_PATH (WSO2's
 * context/version/pattern:VERB key). */
static AmKmToken *
lookup (AmKm *km, AmDbConn *conn, const AmKeyValidationRequest *req, KmLookup *l,
	GError **error)
{
	gboolean is_default;
	const char *ver = plain_version (req->version, &is_default);
	g_autofree char *ctx = is_default ? versioned_context (req->context, ver)
					  : g_strdup (req->context);
	g_autofree char *resource = NULL;
	g_autoptr (GString) cols = g_string_new (NULL);
	g_autoptr (GString) joins = g_string_new (NULL);
	const char *binds[3];
	guint n = 0;

	l->advanced = km->schema.policies && km->apim->advanced_throttling;
	if (req->matching_resource != NULL && req->http_verb != NULL)
		resource = g_strdup_printf ("%s/%s%s:%s", req->context, ver,
					    req->matching_resource, req->http_verb);
	g_string_append_printf (
		cols,
		", SUB.TIER_ID, SUBS.USER_ID, SUB.SUB_STATUS, APP.APPLICATION_ID, APP.NAME, "
		"APP.APPLICATION_TIER, AKM.KEY_TYPE, API.API_NAME, API.API_PROVIDER, %s, %s, SC.%s, %s",
		km->schema.app_token_type ? "APP.TOKEN_TYPE" : "NULL",
		l->advanced ? "API.API_TIER, APS.RATE_LIMIT_COUNT, APS.RATE_LIMIT_TIME_UNIT, "
			      "APS.STOP_ON_QUOTA_REACH, APS.QUOTA_TYPE"
			    : "NULL, NULL, NULL, NULL, NULL",
		km->schema.scope_binding ? "NAME" : "SCOPE_KEY",
		l->advanced ? "APS.NAME" : "SUB.TIER_ID");
	/* a chain of LEFT JOINs, each keyed on the row before (no nested join
	 * for the planner to materialise per call); WSO2's inner join with the
	 * subscription policy becomes "APS.NAME is not NULL" */
	g_string_append (joins, " LEFT JOIN AM_APPLICATION_KEY_MAPPING AKM"
				" ON AKM.CONSUMER_KEY = C.CONSUMER_KEY"
				" LEFT JOIN AM_APPLICATION APP ON APP.APPLICATION_ID = AKM.APPLICATION_ID"
				" LEFT JOIN AM_SUBSCRIBER SUBS ON SUBS.SUBSCRIBER_ID = APP.SUBSCRIBER_ID"
				" LEFT JOIN AM_API API ON API.CONTEXT = ?");
	binds[n++] = ctx;
	if (!is_default) {
		g_string_append (joins, " AND API.API_VERSION = ?");
		binds[n++] = ver;
	}
	g_string_append (joins, " LEFT JOIN AM_SUBSCRIPTION SUB ON SUB.APPLICATION_ID = APP.APPLICATION_ID"
				" AND SUB.API_ID = API.API_ID");
	if (l->advanced)
		g_string_append (joins, " LEFT JOIN AM_POLICY_SUBSCRIPTION APS ON APS.NAME = SUB.TIER_ID"
					" AND APS.TENANT_ID = SUBS.TENANT_ID");
	g_string_append (joins, " LEFT JOIN IDN_OAUTH2_RESOURCE_SCOPE R ON R.RESOURCE_PATH = ?"
				" LEFT JOIN IDN_OAUTH2_SCOPE SC ON SC.SCOPE_ID = R.SCOPE_ID");
	binds[n++] = resource;
	return token_query (km, conn, cols->str, joins->str, binds, n, req->access_token,
			    lookup_row, l, error);
}

/* Step 3: the subscription's state, then its fields into @info. */
static int
check_subscription (KmLookup *l, AmKeyValidationInfo *info)
{
	AmKeyValidationInfo *sub = l->sub;

	if (!l->subscribed)
		return AM_KV_RESOURCE_FORBIDDEN;
#define MOVE(field) info->field = g_steal_pointer (&sub->field)
	MOVE (tier);
	MOVE (subscriber);
	MOVE (application_id);
	MOVE (application_name);
	MOVE (application_tier);
	MOVE (type);
	MOVE (api_name);
	MOVE (api_publisher);
	MOVE (subscriber_tenant_domain);
	MOVE (api_tier);
	MOVE (spike_arrest_unit);
	MOVE (throttling_data_list);
#undef MOVE
	info->spike_arrest_limit = sub->spike_arrest_limit;
	info->stop_on_quota_reach = sub->stop_on_quota_reach;
	info->content_aware = sub->content_aware;

	if (g_strcmp0 (l->sub_status, "BLOCKED") == 0)
		return AM_KV_API_BLOCKED;
	if (g_strcmp0 (l->sub_status, "ON_HOLD") == 0 || g_strcmp0 (l->sub_status, "REJECTED") == 0)
		return AM_KV_SUBSCRIPTION_INACTIVE;
	if (g_strcmp0 (l->sub_status, "PROD_ONLY_BLOCKED") == 0 &&
	    g_strcmp0 (info->type, "SANDBOX") != 0)
		return AM_KV_API_BLOCKED;
	/* 2.6: a JWT application's keys are not validated here */
	if (g_strcmp0 (l->app_token_type, "JWT") == 0)
		return AM_KV_INVALID_CREDENTIALS;
	return 0;
}

/* Roles bound to @scope (2.6 IDN_OAUTH2_SCOPE_BINDING, 2.1 ROLES column). */
static char **
scope_roles (AmKm *km, AmDbConn *conn, const char *scope, GError **error)
{
	const char *sql = km->schema.scope_binding
				  ? "SELECT B.SCOPE_BINDING FROM IDN_OAUTH2_SCOPE S "
				    "LEFT JOIN IDN_OAUTH2_SCOPE_BINDING B ON S.SCOPE_ID = B.SCOPE_ID "
				    "WHERE S.NAME = ? AND S.TENANT_ID = ?"
				  : "SELECT S.ROLES FROM IDN_OAUTH2_SCOPE S "
				    "WHERE S.SCOPE_KEY = ? AND S.TENANT_ID = ?";
	g_autoptr (AmDbStmt) st = am_db_prepare (conn, sql, error);
	g_autoptr (GPtrArray) roles = g_ptr_array_new_with_free_func (g_free);
	AmDbStep step;

	if (st == NULL)
		return NULL;
	am_db_bind_text (st, 1, scope);
	am_db_bind_int64 (st, 2, AM_SUPER_TENANT_ID);
	while ((step = am_db_step (st, error)) == AM_DB_STEP_ROW) {
		const char *v = am_db_column_text (st, 0);
		g_auto (GStrv) parts = v != NULL ? g_strsplit (v, ",", -1) : NULL;

		for (guint i = 0; parts != NULL && parts[i] != NULL; i++) {
			g_strstrip (parts[i]);
			if (*parts[i] != '\0')
				g_ptr_array_add (roles, g_strdup (parts[i]));
		}
	}
	if (step == AM_DB_STEP_ERROR)
		return NULL;
	g_ptr_array_add (roles, NULL);
	return (char **) g_ptr_array_steal (roles, NULL);
}

static gboolean
has_any_role (char **user_roles, char **wanted)
{
	for (guint i = 0; wanted[i] != NULL; i++) {
		for (guint j = 0; user_roles != NULL && user_roles[j] != NULL; j++) {
			if (g_ascii_strcasecmp (wanted[i], user_roles[j]) == 0)
				return TRUE;
		}
	}
	return FALSE;
}

/* Step 4: every scope bound to the resource must be among the token's,
 * and the token's user must hold one of its roles. */
static int
check_scopes (AmKm *km, AmDbConn *conn, const AmKmToken *t, GPtrArray *needed, GError **error)
{
	for (guint i = 0; i < needed->len; i++) {
		const char *scope = g_ptr_array_index (needed, i);
		g_auto (GStrv) roles = NULL;
		g_auto (GStrv) user_roles = NULL;

		if (t->scopes == NULL || !g_strv_contains ((const char *const *) t->scopes, scope))
			return AM_KV_INVALID_SCOPE;
		roles = scope_roles (km, conn, scope, error);
		if (roles == NULL)
			return -1;
		if (roles[0] == NULL)
			continue; /* a scope without roles binds nobody out */
		if (km->userstore == NULL) {
			g_set_error (error, AM_KM_ERROR, AM_KM_ERROR_FAILED,
				     "scope '%s' has roles but no user store is available", scope);
			return -1;
		}
		user_roles = am_userstore_get_roles (km->userstore, t->authz_user, error);
		if (user_roles == NULL)
			return -1;
		if (!has_any_role (user_roles, roles))
			return AM_KV_INVALID_SCOPE;
	}
	return 0;
}

static void
kmlookup_clear (KmLookup *l)
{
	am_key_validation_info_free (l->sub);
	g_free (l->sub_status);
	g_free (l->app_token_type);
	g_ptr_array_unref (l->resource_scopes);
}

static AmKeyValidationInfo *
validate (AmKm *km, const AmKeyValidationRequest *req, gboolean handshake, GError **error)
{
	g_autoptr (AmKeyValidationInfo) info = g_new0 (AmKeyValidationInfo, 1);
	g_autoptr (AmDbConn) conn = NULL;
	g_autoptr (AmKmToken) t = NULL;
	g_autofree char *key = NULL;
	KmLookup l = { 0 };
	GError *local = NULL;
	gint64 token_end = 0;
	int status;

	if (req->access_token == NULL || *req->access_token == '\0' || req->context == NULL ||
	    req->version == NULL)
		return refuse (g_steal_pointer (&info), AM_KV_INVALID_CREDENTIALS);
	if (!handshake && cache_enabled (km)) {
		AmKeyValidationInfo *hit;

		key = cache_key (req);
		hit = cache_get (km, key);
		if (hit != NULL)
			return hit;
	}

	conn = am_db_acquire_reader (km->db, error);
	if (conn == NULL)
		return NULL;
	l.sub = g_new0 (AmKeyValidationInfo, 1);
	l.resource_scopes = g_ptr_array_new_with_free_func (g_free);
	t = lookup (km, conn, req, &l, &local);
	if (local != NULL) {
		kmlookup_clear (&l);
		g_propagate_error (error, local);
		return NULL;
	}
	status = check_token (km, t, info, &token_end);
	if (status == 0 && !handshake)
		status = check_auth_level (km, t, req->required_auth_level);
	if (status == 0)
		status = check_subscription (&l, info);
	if (status == 0 && !handshake)
		status = check_scopes (km, conn, t, l.resource_scopes, error);
	kmlookup_clear (&l);
	if (status < 0)
		return NULL;
	if (status > 0)
		return refuse (g_steal_pointer (&info), status);

	info->authorized = TRUE;
	info->validation_status = 0;
	if (km->apim->jwt_enabled) {
		info->end_user_token = am_km_jwt_generate (km, info, req->context, req->version,
							   error);
		if (info->end_user_token == NULL)
			return NULL;
	}
	if (key != NULL)
		cache_put (km, key, req->access_token, info, token_end);
	return g_steal_pointer (&info);
}

AmKeyValidationInfo *
am_km_validate_key (AmKm *km, const AmKeyValidationRequest *req, GError **error)
{
	return validate (km, req, FALSE, error);
}

AmKeyValidationInfo *
am_km_validate_key_for_handshake (AmKm *km, const char *context, const char *version,
				  const char *access_token, GError **error)
{
	AmKeyValidationRequest req = {
		.context = context,
		.version = version,
		.access_token = access_token,
	};

	return validate (km, &req, TRUE, error);
}

/* ---- resources ---- */

GPtrArray *
am_km_get_uri_templates (AmKm *km, const char *context, const char *version, GError **error)
{
	gboolean is_default;
	const char *ver = plain_version (version, &is_default);
	g_autofree char *ctx = is_default ? versioned_context (context, ver) : g_strdup (context);
	gboolean conditions = km->schema.policies;
	g_autoptr (GString) sql = g_string_new (
		"SELECT AUM.URL_PATTERN, AUM.HTTP_METHOD, AUM.AUTH_SCHEME, AUM.THROTTLING_TIER");
	g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) am_uri_template_free);
	g_autoptr (AmDbConn) conn = am_db_acquire_reader (km->db, error);
	g_autoptr (AmDbStmt) st = NULL;
	AmUriTemplate *cur = NULL;
	g_autoptr (GPtrArray) conds = NULL;
	AmDbStep step;

	if (conn == NULL)
		return NULL;
	/* with the 2.x policy tables: each resource's throttling conditions
	 * (_condition_<group id> of its API-level policy, then _default) */
	if (conditions)
		g_string_append (sql, ", ATP.APPLICABLE_LEVEL, CG.CONDITION_GROUP_ID "
				      "FROM AM_API API JOIN AM_API_URL_MAPPING AUM ON AUM.API_ID = API.API_ID "
				      "LEFT JOIN AM_API_THROTTLE_POLICY ATP ON ATP.NAME = AUM.THROTTLING_TIER "
				      "AND ATP.TENANT_ID = -1234 "
				      "LEFT JOIN AM_CONDITION_GROUP CG ON CG.POLICY_ID = ATP.POLICY_ID ");
	else
		g_string_append (sql, ", NULL, NULL FROM AM_API API JOIN AM_API_URL_MAPPING AUM "
				      "ON AUM.API_ID = API.API_ID ");
	g_string_append (sql, "WHERE API.CONTEXT = ?");
	if (!is_default)
		g_string_append (sql, " AND API.API_VERSION = ?");
	g_string_append (sql, " ORDER BY AUM.URL_MAPPING_ID");
	if (conditions)
		g_string_append (sql, ", CG.CONDITION_GROUP_ID");

	st = am_db_prepare (conn, sql->str, error);
	if (st == NULL)
		return NULL;
	am_db_bind_text (st, 1, ctx);
	if (!is_default)
		am_db_bind_text (st, 2, ver);
	while ((step = am_db_step (st, error)) == AM_DB_STEP_ROW) {
		const char *pattern = am_db_column_text (st, 0);
		const char *verb = am_db_column_text (st, 1);

		if (cur == NULL || g_strcmp0 (cur->uri_template, pattern) != 0 ||
		    g_strcmp0 (cur->http_verb, verb) != 0) {
			if (cur != NULL) {
				g_ptr_array_add (conds, g_strdup ("_default"));
				g_ptr_array_add (conds, NULL);
				cur->throttling_conditions = (char **) g_ptr_array_steal (conds, NULL);
				g_clear_pointer (&conds, g_ptr_array_unref);
			}
			cur = g_new0 (AmUriTemplate, 1);
			cur->uri_template = g_strdup (pattern);
			cur->http_verb = g_strdup (verb);
			cur->auth_type = g_strdup (am_db_column_text (st, 2));
			cur->throttling_tier = g_strdup (am_db_column_text (st, 3));
			cur->applicable_level = g_strdup (am_db_column_text (st, 4));
			conds = g_ptr_array_new_with_free_func (g_free);
			g_ptr_array_add (out, cur);
		}
		if (!am_db_column_is_null (st, 5))
			g_ptr_array_add (conds, g_strdup_printf ("_condition_%s",
								 am_db_column_text (st, 5)));
	}
	if (cur != NULL) {
		g_ptr_array_add (conds, g_strdup ("_default"));
		g_ptr_array_add (conds, NULL);
		cur->throttling_conditions = (char **) g_ptr_array_steal (conds, NULL);
		g_clear_pointer (&conds, g_ptr_array_unref);
	}
	if (step == AM_DB_STEP_ERROR)
		return NULL;
	return g_steal_pointer (&out);
}
