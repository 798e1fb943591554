/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Store's application keys, as API-M 2.x makes them: an OAuth client in
 * IDN_OAUTH_CONSUMER_APPS named <owner>_<application>_<PRODUCTION|SANDBOX>
 * (APIKeyMgtSubscriberService: "@" written "-AT-") with 28-character key
 * and secret (OAuthUtil.getRandomNumber) and WSO2's default grant types,
 * and ApiMgtDAO's AM_APPLICATION_REGISTRATION / AM_APPLICATION_KEY_MAPPING
 * rows (mapping CREATED, then the consumer key, then COMPLETED).  Secret
 * regeneration and key removal (the client's tokens go with it and are
 * reported revoked).
 *
 * Every function blocks on the database and commits its own transaction.
 */
#define G_LOG_DOMAIN "am.km"
#include "config.h"

#include "am-km-private.h"
#include "am-userstore.h"

#include <string.h>

/* WSO2's defaults for a Store-created client (APIConstants / identity.xml). */
#define DEFAULT_GRANT_TYPES                                                                    \
	"refresh_token urn:ietf:params:oauth:grant-type:saml2-bearer password "               \
	"client_credentials iwa:ntlm"
#define ID_TOKEN_EXPIRY 3600

/* IDN_OAUTH_CONSUMER_APPS.APP_NAME of an application's keys:
 * <owner>_<app>_<KEY_TYPE>, "@" written "-AT-" and a secondary user
 * store's "/" written "_" (APIKeyMgtSubscriberService). */
static char *
keys_client_name (const char *owner, const char *app_name, const char *key_type)
{
	g_autoptr (GString) s = g_string_new (owner);

	g_string_replace (s, "@", "-AT-", 0);
	g_string_replace (s, "/", "_", 0);
	g_string_append_printf (s, "_%s_%s", app_name, key_type);
	return g_string_free (g_steal_pointer (&s), FALSE);
}

/* The owner's USERNAME and USER_DOMAIN columns: "DOMAIN/user@carbon.super"
 * -> "user", "DOMAIN"; no domain: PRIMARY. */
static void
keys_split_owner (const char *owner, char **user, char **domain)
{
	const char *slash = strchr (owner, '/');
	const char *name = slash != NULL ? slash + 1 : owner;
	const char *at = g_str_has_suffix (name, "@" AM_SUPER_TENANT_DOMAIN)
				 ? name + strlen (name) - strlen ("@" AM_SUPER_TENANT_DOMAIN)
				 : NULL;

	*user = at != NULL ? g_strndup (name, at - name) : g_strdup (name);
	*domain = slash != NULL ? g_ascii_strup (owner, slash - owner) : g_strdup ("PRIMARY");
}

/* Run @sql (int64 @a, text @b) and return the changed rows, -1 on failure. */
static gint64
exec_id_text (AmDbConn *conn, const char *sql, gint64 a, const char *b, GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (conn, sql, error);

	if (st == NULL)
		return -1;
	am_db_bind_int64 (st, 1, a);
	am_db_bind_text (st, 2, b);
	if (am_db_step (st, error) == AM_DB_STEP_ERROR)
		return -1;
	return am_db_changes (st);
}

/* The consumer key mapped to (@application_id, @key_type): "" when the
 * mapping has none yet, NULL without @error when there is no mapping. */
static char *
keys_mapped_key (AmDbConn *conn, gint64 application_id, const char *key_type, GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (conn,
						 "SELECT CONSUMER_KEY FROM AM_APPLICATION_KEY_MAPPING "
						 "WHERE APPLICATION_ID = ? AND KEY_TYPE = ?",
						 error);

	if (st == NULL)
		return NULL;
	am_db_bind_int64 (st, 1, application_id);
	am_db_bind_text (st, 2, key_type);
	if (am_db_step (st, error) != AM_DB_STEP_ROW)
		return NULL;
	return g_strdup (am_db_column_is_null (st, 0) ? "" : am_db_column_text (st, 0));
}

/* AM_APPLICATION_REGISTRATION and the CREATED key mapping, as
 * ApiMgtDAO.createApplicationRegistrationEntry writes them. */
static gboolean
keys_register (AmKm *km, AmDbConn *conn, gint64 application_id, gint64 subscriber_id,
	       const char *key_type, gboolean have_mapping, GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (conn,
						 "SELECT REG_ID FROM AM_APPLICATION_REGISTRATION "
						 "WHERE SUBSCRIBER_ID = ? AND APP_ID = ? AND TOKEN_TYPE = ?",
						 error);
	g_autofree char *wf_ref = am_km_uuid4 ();
	AmDbStep step;

	if (st == NULL)
		return FALSE;
	am_db_bind_int64 (st, 1, subscriber_id);
	am_db_bind_int64 (st, 2, application_id);
	am_db_bind_text (st, 3, key_type);
	step = am_db_step (st, error);
	if (step == AM_DB_STEP_ERROR)
		return FALSE;
	g_clear_pointer (&st, am_db_stmt_free);
	if (step == AM_DB_STEP_DONE) {
		st = am_db_prepare (conn,
				    "INSERT INTO AM_APPLICATION_REGISTRATION (SUBSCRIBER_ID, WF_REF, "
				    "APP_ID, TOKEN_TYPE, ALLOWED_DOMAINS, VALIDITY_PERIOD, TOKEN_SCOPE, "
				    "INPUTS) VALUES (?, ?, ?, ?, 'ALL', ?, 'default', NULL)",
				    error);
		if (st == NULL)
			return FALSE;
		am_db_bind_int64 (st, 1, subscriber_id);
		am_db_bind_text (st, 2, wf_ref);
		am_db_bind_int64 (st, 3, application_id);
		am_db_bind_text (st, 4, key_type);
		am_db_bind_int64 (st, 5, am_km_get_conf (km)->app_token_validity);
		if (am_db_step (st, error) == AM_DB_STEP_ERROR)
			return FALSE;
	}
	return have_mapping ||
	       exec_id_text (conn,
			     "INSERT INTO AM_APPLICATION_KEY_MAPPING (APPLICATION_ID, KEY_TYPE, STATE) "
			     "VALUES (?, ?, 'CREATED')",
			     application_id, key_type, error) >= 0;
}

static gboolean
keys_insert_client (AmKm *km, AmDbConn *conn, const char *key, const char *secret,
		    const char *owner, const char *name, const char *grant_types,
		    const char *callback_url, GError **error)
{
	const AmKmSchema *schema = am_km_get_schema (km);
	const AmKmConf *conf = am_km_get_conf (km);
	g_autofree char *user = NULL;
	g_autofree char *domain = NULL;
	g_autofree char *sql = g_strdup_printf (
		"INSERT INTO IDN_OAUTH_CONSUMER_APPS (CONSUMER_KEY, CONSUMER_SECRET, USERNAME, "
		"TENANT_ID, USER_DOMAIN, APP_NAME, OAUTH_VERSION, CALLBACK_URL, GRANT_TYPES%s%s) "
		"VALUES (?, ?, ?, ?, ?, ?, 'OAuth-2.0', ?, ?%s%s)",
		schema->app_state ? ", PKCE_MANDATORY, PKCE_SUPPORT_PLAIN, APP_STATE" : "",
		schema->app_expiry_times ? ", USER_ACCESS_TOKEN_EXPIRE_TIME, "
					   "APP_ACCESS_TOKEN_EXPIRE_TIME, REFRESH_TOKEN_EXPIRE_TIME, "
					   "ID_TOKEN_EXPIRE_TIME"
					 : "",
		schema->app_state ? ", '0', '0', 'ACTIVE'" : "",
		schema->app_expiry_times ? ", ?, ?, ?, ?" : "");
	g_autoptr (AmDbStmt) st = am_db_prepare (conn, sql, error);

	if (st == NULL)
		return FALSE;
	keys_split_owner (owner, &user, &domain);
	am_db_bind_text (st, 1, key);
	am_db_bind_text (st, 2, secret);
	am_db_bind_text (st, 3, user);
	am_db_bind_int64 (st, 4, AM_SUPER_TENANT_ID);
	am_db_bind_text (st, 5, domain);
	am_db_bind_text (st, 6, name);
	am_db_bind_text (st, 7, callback_url);
	am_db_bind_text (st, 8, grant_types != NULL ? grant_types : DEFAULT_GRANT_TYPES);
	if (schema->app_expiry_times) {
		am_db_bind_int64 (st, 9, conf->user_token_validity);
		am_db_bind_int64 (st, 10, conf->app_token_validity);
		am_db_bind_int64 (st, 11, conf->refresh_token_validity);
		am_db_bind_int64 (st, 12, ID_TOKEN_EXPIRY);
	}
	return am_db_step (st, error) != AM_DB_STEP_ERROR;
}

/* UPDATE AM_APPLICATION_KEY_MAPPING SET @column = @value for one mapping. */
static gboolean
keys_update_mapping (AmDbConn *conn, const char *column, const char *value,
		     gint64 application_id, const char *key_type, GError **error)
{
	g_autofree char *sql = g_strdup_printf ("UPDATE AM_APPLICATION_KEY_MAPPING SET %s = ? "
						"WHERE APPLICATION_ID = ? AND KEY_TYPE = ?",
						column);
	g_autoptr (AmDbStmt) st = am_db_prepare (conn, sql, error);

	if (st == NULL)
		return FALSE;
	am_db_bind_text (st, 1, value);
	am_db_bind_int64 (st, 2, application_id);
	am_db_bind_text (st, 3, key_type);
	return am_db_step (st, error) != AM_DB_STEP_ERROR;
}

static AmKmClient *
create_keys (AmKm *km, AmDbConn *conn, gint64 application_id, const char *key_type,
	     const char *owner, const char *grant_types, const char *callback_url, GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (
		conn, "SELECT NAME, SUBSCRIBER_ID FROM AM_APPLICATION WHERE APPLICATION_ID = ?", error);
	g_autofree char *app_name = NULL;
	g_autofree char *client_name = NULL;
	g_autofree char *mapped = NULL;
	g_autofree char *key = am_km_new_client_id ();
	g_autofree char *secret = am_km_new_client_id ();
	GError *local = NULL;
	gint64 subscriber_id;
	AmDbStep step;

	if (st == NULL || !am_db_begin (conn, error))
		return NULL;
	am_db_bind_int64 (st, 1, application_id);
	step = am_db_step (st, error);
	if (step == AM_DB_STEP_ERROR)
		return NULL;
	if (step == AM_DB_STEP_DONE) {
		g_set_error (error, AM_KM_ERROR, AM_KM_ERROR_NOT_FOUND,
			     "no application with id %" G_GINT64_FORMAT, application_id);
		return NULL;
	}
	app_name = g_strdup (am_db_column_text (st, 0));
	subscriber_id = am_db_column_int64 (st, 1);
	g_clear_pointer (&st, am_db_stmt_free);

	mapped = keys_mapped_key (conn, application_id, key_type, &local);
	if (local != NULL) {
		g_propagate_error (error, local);
		return NULL;
	}
	if (mapped != NULL && *mapped != '\0') {
		g_set_error (error, AM_KM_ERROR, AM_KM_ERROR_EXISTS,
			     "application '%s' already has %s keys", app_name, key_type);
		return NULL;
	}
	client_name = keys_client_name (owner, app_name, key_type);
	if (!keys_register (km, conn, application_id, subscriber_id, key_type, mapped != NULL,
			    error) ||
	    !keys_insert_client (km, conn, key, secret, owner, client_name, grant_types,
				 callback_url, error))
		return NULL;
	/* the two updates ApiMgtDAO makes once the client exists */
	if (!keys_update_mapping (conn, "CONSUMER_KEY", key, application_id, key_type, error) ||
	    !keys_update_mapping (conn, "STATE", "COMPLETED", application_id, key_type, error) ||
	    !am_db_commit (conn, error))
		return NULL;
	return am_km_client_lookup (km, conn, key, error);
}

AmKmClient *
am_km_app_create_keys (AmKm *km, AmDbConn *conn, gint64 application_id, const char *key_type,
		       const char *owner, const char *grant_types, const char *callback_url,
		       GError **error)
{
	AmKmClient *c = create_keys (km, conn, application_id, key_type, owner, grant_types,
				     callback_url, error);

	/* the lookup after the commit only reads */
	am_db_rollback (conn, NULL);
	if (c == NULL && error != NULL && *error == NULL)
		g_set_error (error, AM_KM_ERROR, AM_KM_ERROR_FAILED,
			     "the new OAuth client of application %" G_GINT64_FORMAT " is gone",
			     application_id);
	return c;
}

char *
am_km_app_regenerate_secret (AmKm *km, AmDbConn *conn, const char *consumer_key, GError **error)
{
	g_autofree char *secret = am_km_new_client_id ();
	gint64 n = !am_db_begin (conn, error) ? -1 : am_db_exec (conn,
			       "UPDATE IDN_OAUTH_CONSUMER_APPS SET CONSUMER_SECRET = ? "
			       "WHERE CONSUMER_KEY = ?",
			       error, 2, secret, consumer_key);

	if (n < 0 || (n > 0 && !am_db_commit (conn, error))) {
		am_db_rollback (conn, NULL);
		return NULL;
	}
	if (n == 0) {
		am_db_rollback (conn, NULL);
		g_set_error (error, AM_KM_ERROR, AM_KM_ERROR_NOT_FOUND, "no OAuth client '%s'",
			     consumer_key);
		return NULL;
	}
	return g_steal_pointer (&secret);
}

/* The ACTIVE access tokens of @consumer_key, NULL-terminated. */
static char **
keys_active_tokens (AmDbConn *conn, const char *consumer_key, GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (
		conn,
		"SELECT T.ACCESS_TOKEN FROM IDN_OAUTH2_ACCESS_TOKEN T "
		"JOIN IDN_OAUTH_CONSUMER_APPS C ON T.CONSUMER_KEY_ID = C.ID "
		"WHERE C.CONSUMER_KEY = ? AND T.TOKEN_STATE = 'ACTIVE'",
		error);
	g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
	AmDbStep step;

	if (st == NULL)
		return NULL;
	am_db_bind_text (st, 1, consumer_key);
	while ((step = am_db_step (st, error)) == AM_DB_STEP_ROW)
		g_ptr_array_add (out, g_strdup (am_db_column_text (st, 0)));
	if (step == AM_DB_STEP_ERROR)
		return NULL;
	g_ptr_array_add (out, NULL);
	return (char **) g_ptr_array_steal (out, NULL);
}

static char **
delete_keys (AmDbConn *conn, gint64 application_id, const char *key_type, GError **error)
{
	GError *local = NULL;
	g_autofree char *key = am_db_begin (conn, &local)
				       ? keys_mapped_key (conn, application_id, key_type, &local)
				       : NULL;
	g_auto (GStrv) tokens = NULL;

	if (key == NULL) {
		if (local != NULL)
			g_propagate_error (error, local);
		else
			g_set_error (error, AM_KM_ERROR, AM_KM_ERROR_NOT_FOUND,
				     "application %" G_GINT64_FORMAT " has no %s keys",
				     application_id, key_type);
		return NULL;
	}
	tokens = keys_active_tokens (conn, key, error);
	/* the client's tokens and their scope rows go with it (ON DELETE CASCADE) */
	if (tokens == NULL ||
	    am_db_exec (conn, "DELETE FROM IDN_OAUTH_CONSUMER_APPS WHERE CONSUMER_KEY = ?", error,
			1, key) < 0 ||
	    exec_id_text (conn,
			  "DELETE FROM AM_APPLICATION_KEY_MAPPING "
			  "WHERE APPLICATION_ID = ? AND KEY_TYPE = ?",
			  application_id, key_type, error) < 0 ||
	    exec_id_text (conn,
			  "DELETE FROM AM_APPLICATION_REGISTRATION WHERE APP_ID = ? AND TOKEN_TYPE = ?",
			  application_id, key_type, error) < 0 ||
	    !am_db_commit (conn, error))
		return NULL;
	return g_steal_pointer (&tokens);
}

gboolean
am_km_app_delete_keys (AmKm *km, AmDbConn *conn, gint64 application_id, const char *key_type,
		       GError **error)
{
	g_auto (GStrv) tokens = delete_keys (conn, application_id, key_type, error);

	if (tokens == NULL) {
		am_db_rollback (conn, NULL);
		return FALSE;
	}
	am_km_tokens_revoked (km, (const char *const *) tokens);
	return TRUE;
}

/* ---- clients of no application (DCR) ---- */

AmKmClient *
am_km_client_create (AmKm *km, AmDbConn *conn, const char *app_name, const char *owner,
		     const char *grant_types, const char *callback_url, GError **error)
{
	g_autofree char *key = am_km_new_client_id ();
	g_autofree char *secret = am_km_new_client_id ();
	AmKmClient *c;

	if (!am_db_begin (conn, error) ||
	    !keys_insert_client (km, conn, key, secret, owner, app_name,
				 grant_types != NULL ? grant_types : "", callback_url, error) ||
	    !am_db_commit (conn, error)) {
		am_db_rollback (conn, NULL);
		return NULL;
	}
	c = am_km_client_lookup (km, conn, key, error);
	am_db_rollback (conn, NULL);
	if (c == NULL && error != NULL && *error == NULL)
		g_set_error (error, AM_KM_ERROR, AM_KM_ERROR_FAILED,
			     "the new OAuth client '%s' is gone", app_name);
	return c;
}

AmKmClient *
am_km_client_lookup_by_name (AmKm *km, AmDbConn *conn, const char *app_name, GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (conn,
						 "SELECT CONSUMER_KEY FROM IDN_OAUTH_CONSUMER_APPS "
						 "WHERE APP_NAME = ? AND TENANT_ID = ?",
						 error);
	g_autofree char *key = NULL;

	if (st == NULL)
		return NULL;
	am_db_bind_text (st, 1, app_name);
	am_db_bind_int64 (st, 2, AM_SUPER_TENANT_ID);
	if (am_db_step (st, error) != AM_DB_STEP_ROW)
		return NULL;
	key = g_strdup (am_db_column_text (st, 0));
	g_clear_pointer (&st, am_db_stmt_free);
	return am_km_client_lookup (km, conn, key, error);
}
