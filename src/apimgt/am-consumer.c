/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Store's data layer on WSO2 API-M 2.x's own tables, written the way
 * APIConsumerImpl and ApiMgtDAO (carbon-apimgt 6.1.x = 2.1, 6.4.x = 2.6)
 * write them with the default ("simple") workflow executors:
 *
 *   - AM_SUBSCRIBER: one row per user and tenant, made on first Store use
 *     (USER_ID the tenant-aware name, EMAIL_ADDRESS '', DATE_SUBSCRIBED),
 *     together with the user's "DefaultApplication";
 *   - AM_APPLICATION: random UUID (the REST applicationId), status
 *     APPROVED, CREATED_BY the owner, GROUP_ID '' unless given, and on 2.6
 *     schemas UPDATED_TIME in the insert and TOKEN_TYPE 'DEFAULT' ('JWT'
 *     for JWT applications); names are unique per owner;
 *   - keys: AM_APPLICATION_REGISTRATION keeps the generate-keys request
 *     (ALLOWED_DOMAINS, VALIDITY_PERIOD, TOKEN_SCOPE, INPUTS), the OAuth
 *     client and the key mapping come from the Key Manager
 *     (am_km_app_create_keys), and the application token from its
 *     client_credentials grant, as the Store's POST
 *     /applications/generate-keys gets it from the token endpoint;
 *   - AM_SUBSCRIPTION: random UUID, SUB_STATUS UNBLOCKED (the simple
 *     workflow approves at once), SUBS_CREATE_STATE SUBSCRIBE, CREATED_BY
 *     the owner; block / unblock set SUB_STATUS, UPDATED_BY, UPDATED_TIME.
 *
 * AM_* timestamps are written as WSO2 writes them, new
 * Timestamp(System.currentTimeMillis()): the server's local wall-clock time.
 * Which schema the database has (2.1 or 2.6) is read from the catalogue
 * (AM_APPLICATION.TOKEN_TYPE) at each write; nothing is altered.
 */
#define G_LOG_DOMAIN "am.apimgt"
#include "config.h"

#include "am-consumer.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "am-tiers.h"

G_DEFINE_QUARK (am-consumer-error-quark, am_consumer_error)

#define CONSUMER_DEFAULT_APP "DefaultApplication"
#define CONSUMER_UNLIMITED "Unlimited"
#define CONSUMER_MAX_APP_NAME 100
#define CONSUMER_MAX_TEXT 512

/* ---- small helpers ---- */

/* Now as the AM_* columns hold it: local wall-clock time. */
static gint64
consumer_now (void)
{
	g_autoptr (GDateTime) now = g_date_time_new_now_local ();

	return g_date_time_to_unix (now) * G_USEC_PER_SEC + g_date_time_get_microsecond (now) +
	       g_date_time_get_utc_offset (now);
}

static char *
col_dup (AmDbStmt *st, int col)
{
	return am_db_column_is_null (st, col) ? NULL : g_strdup (am_db_column_text (st, col));
}

/* "user@carbon.super" -> "user"; other names as given. */
static char *
consumer_user_name (const char *username)
{
	if (g_str_has_suffix (username, "@" AM_SUPER_TENANT_DOMAIN))
		return g_strndup (username, strlen (username) - strlen ("@" AM_SUPER_TENANT_DOMAIN));
	return g_strdup (username);
}

/* Whether the schema is 2.6's (AM_APPLICATION.TOKEN_TYPE): FALSE with
 * @error set on a failure. */
static gboolean
consumer_is_26 (AmDbConn *conn, gboolean *is_26, GError **error)
{
	GError *local = NULL;

	*is_26 = am_db_column_exists (conn, "AM_APPLICATION", "TOKEN_TYPE", &local);
	if (local != NULL) {
		g_propagate_error (error, local);
		return FALSE;
	}
	return TRUE;
}

/* Run @st to the end; the changed rows, -1 on failure. */
static gint64
consumer_run (AmDbStmt *st, GError **error)
{
	if (st == NULL || am_db_step (st, error) == AM_DB_STEP_ERROR)
		return -1;
	return am_db_changes (st);
}

/* A statement with one int64 parameter, run; the changed rows or -1. */
static gint64
consumer_exec_id (AmDbConn *conn, const char *sql, gint64 id, GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (conn, sql, error);

	if (st == NULL)
		return -1;
	am_db_bind_int64 (st, 1, id);
	return consumer_run (st, error);
}

/* The first column of the first row of @st as int64: 0 when there is no
 * row, -1 on failure. */
static gint64
consumer_first_id (AmDbStmt *st, GError **error)
{
	AmDbStep step = am_db_step (st, error);

	if (step == AM_DB_STEP_ERROR)
		return -1;
	return step == AM_DB_STEP_ROW ? am_db_column_int64 (st, 0) : 0;
}

static gboolean
consumer_check_text (const char *what, const char *value, gsize max, gboolean required,
		     GError **error)
{
	if (value == NULL || *value == '\0') {
		if (!required)
			return TRUE;
		g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID, "%s is required",
			     what);
		return FALSE;
	}
	if (!g_utf8_validate (value, -1, NULL) || g_utf8_strlen (value, -1) > (glong) max) {
		g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID,
			     "%s must be valid text of at most %" G_GSIZE_FORMAT " characters", what,
			     max);
		return FALSE;
	}
	return TRUE;
}

/* LIKE pattern for "contains @query", with '!' escaping the wildcards
 * (a character both MySQL and SQLite accept as ESCAPE). */
static char *
consumer_like (const char *query)
{
	GString *s = g_string_new ("%");

	for (const char *p = query; *p != '\0'; p++) {
		if (*p == '%' || *p == '_' || *p == '!')
			g_string_append_c (s, '!');
		g_string_append_c (s, *p);
	}
	g_string_append_c (s, '%');
	return g_string_free (s, FALSE);
}

/* After a commit, a read-back (which on a defaultAutoCommit=false
 * connection opens an implicit transaction, on SQLite with the write lock)
 * is ended at once. */
static gpointer
consumer_end_read (AmDbConn *conn, gpointer result)
{
	am_db_rollback (conn, NULL);
	return result;
}

/* ---- subscribers ---- */

void
am_subscriber_free (AmSubscriber *s)
{
	if (s == NULL)
		return;
	g_free (s->user_id);
	g_free (s->email);
	g_free (s->date_subscribed);
	g_free (s);
}

AmSubscriber *
am_consumer_subscriber_get (AmDbConn *conn, const char *username, int tenant_id, GError **error)
{
	g_autofree char *user = NULL;
	g_autoptr (AmDbStmt) st = NULL;
	AmSubscriber *s;
	AmDbStep step;

	if (!consumer_check_text ("user name", username, 255, TRUE, error))
		return NULL;
	user = consumer_user_name (username);
	st = am_db_prepare (conn,
			    "SELECT SUBSCRIBER_ID, USER_ID, TENANT_ID, EMAIL_ADDRESS, DATE_SUBSCRIBED "
			    "FROM AM_SUBSCRIBER WHERE USER_ID = ? AND TENANT_ID = ?",
			    error);
	if (st == NULL)
		return NULL;
	am_db_bind_text (st, 1, user);
	am_db_bind_int64 (st, 2, tenant_id);
	step = am_db_step (st, error);
	if (step != AM_DB_STEP_ROW)
		return NULL;
	s = g_new0 (AmSubscriber, 1);
	s->id = am_db_column_int64 (st, 0);
	s->user_id = col_dup (st, 1);
	s->tenant_id = (int) am_db_column_int64 (st, 2);
	s->email = col_dup (st, 3);
	s->date_subscribed = col_dup (st, 4);
	return s;
}

/* The DefaultApplication's tier: Unlimited when the tenant has that
 * application policy, else the first one by name, else Unlimited (the
 * column default). */
static char *
consumer_default_app_tier (AmDbConn *conn, int tenant_id, GError **error)
{
	g_autoptr (AmDbStmt) st = NULL;
	gboolean unlimited;
	AmDbStep step;

	if (!am_tiers_exists (conn, AM_TIER_LEVEL_APPLICATION, tenant_id, CONSUMER_UNLIMITED,
			      &unlimited, error))
		return NULL;
	if (unlimited)
		return g_strdup (CONSUMER_UNLIMITED);
	st = am_db_prepare (conn,
			    "SELECT NAME FROM AM_POLICY_APPLICATION WHERE TENANT_ID = ? ORDER BY NAME",
			    error);
	if (st == NULL)
		return NULL;
	am_db_bind_int64 (st, 1, tenant_id);
	step = am_db_step (st, error);
	if (step == AM_DB_STEP_ERROR)
		return NULL;
	return g_strdup (step == AM_DB_STEP_ROW ? am_db_column_text (st, 0) : CONSUMER_UNLIMITED);
}

static gint64 consumer_insert_app (AmDbConn *conn, gboolean is_26, gint64 subscriber_id,
				   const char *owner, const AmApplicationSpec *spec,
				   GError **error);

static gboolean
consumer_add_subscriber (AmDbConn *conn, const char *user, int tenant_id, GError **error)
{
	gboolean is_26;
	g_autoptr (AmDbStmt) st = NULL;
	g_autofree char *tier = NULL;
	AmApplicationSpec app = { .name = CONSUMER_DEFAULT_APP, .group_id = "" };
	gint64 now = consumer_now ();
	gint64 id;

	if (!consumer_is_26 (conn, &is_26, error) || !am_db_begin (conn, error))
		return FALSE;
	st = am_db_prepare (conn,
			    is_26 ? "INSERT INTO AM_SUBSCRIBER (USER_ID, TENANT_ID, EMAIL_ADDRESS, "
				    "DATE_SUBSCRIBED, CREATED_BY, CREATED_TIME, UPDATED_TIME) "
				    "VALUES (?, ?, '', ?, ?, ?, ?)"
				  : "INSERT INTO AM_SUBSCRIBER (USER_ID, TENANT_ID, EMAIL_ADDRESS, "
				    "DATE_SUBSCRIBED, CREATED_BY, CREATED_TIME) "
				    "VALUES (?, ?, '', ?, ?, ?)",
			    error);
	if (st == NULL)
		return FALSE;
	am_db_bind_text (st, 1, user);
	am_db_bind_int64 (st, 2, tenant_id);
	am_db_bind_timestamp (st, 3, now);
	am_db_bind_text (st, 4, user);
	am_db_bind_timestamp (st, 5, now);
	if (is_26)
		am_db_bind_timestamp (st, 6, now);
	if (consumer_run (st, error) < 0)
		return FALSE;
	id = am_db_last_insert_id (st);
	tier = consumer_default_app_tier (conn, tenant_id, error);
	if (tier == NULL)
		return FALSE;
	app.tier = tier;
	if (consumer_insert_app (conn, is_26, id, user, &app, error) < 0)
		return FALSE;
	return am_db_commit (conn, error);
}

AmSubscriber *
am_consumer_subscriber_ensure (AmDbConn *conn, const char *username, int tenant_id,
			       GError **error)
{
	GError *local = NULL;
	AmSubscriber *s = am_consumer_subscriber_get (conn, username, tenant_id, &local);
	g_autofree char *user = NULL;

	if (s != NULL || local != NULL) {
		if (local != NULL)
			g_propagate_error (error, local);
		return s;
	}
	user = consumer_user_name (username);
	if (!consumer_add_subscriber (conn, user, tenant_id, &local)) {
		am_db_rollback (conn, NULL);
		/* another request made the row first: UNIQUE(TENANT_ID, USER_ID) */
		if (!g_error_matches (local, AM_DB_ERROR, AM_DB_ERROR_CONSTRAINT)) {
			g_propagate_error (error, local);
			return NULL;
		}
		g_clear_error (&local);
	} else {
		g_message ("added subscriber '%s' (tenant %d) with its %s", user, tenant_id,
			   CONSUMER_DEFAULT_APP);
	}
	s = consumer_end_read (conn, am_consumer_subscriber_get (conn, username, tenant_id, &local));
	if (s == NULL) {
		if (local != NULL)
			g_propagate_error (error, local);
		else
			g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_FAILED,
				     "subscriber '%s' vanished after creation", user);
	}
	return s;
}

/* ---- applications ---- */

void
am_application_free (AmApplication *app)
{
	if (app == NULL)
		return;
	g_free (app->uuid);
	g_free (app->name);
	g_free (app->subscriber);
	g_free (app->tier);
	g_free (app->callback_url);
	g_free (app->description);
	g_free (app->status);
	g_free (app->group_id);
	g_free (app->token_type);
	g_free (app->created_by);
	g_free (app->created_time);
	g_free (app->updated_by);
	g_free (app->updated_time);
	g_free (app);
}

/* The SELECT of applications (with the owner's USER_ID); @is_26 picks
 * TOKEN_TYPE, which 2.1 does not have. */
static char *
consumer_app_select (gboolean is_26, const char *where)
{
	return g_strdup_printf (
		"SELECT A.APPLICATION_ID, A.UUID, A.NAME, A.SUBSCRIBER_ID, S.USER_ID, "
		"A.APPLICATION_TIER, A.CALLBACK_URL, A.DESCRIPTION, A.APPLICATION_STATUS, "
		"A.GROUP_ID, %s, A.CREATED_BY, A.CREATED_TIME, A.UPDATED_BY, A.UPDATED_TIME "
		"FROM AM_APPLICATION A JOIN AM_SUBSCRIBER S ON A.SUBSCRIBER_ID = S.SUBSCRIBER_ID "
		"%s",
		is_26 ? "A.TOKEN_TYPE" : "NULL", where);
}

static AmApplication *
consumer_app_read (AmDbStmt *st)
{
	AmApplication *a = g_new0 (AmApplication, 1);

	a->id = am_db_column_int64 (st, 0);
	a->uuid = col_dup (st, 1);
	a->name = col_dup (st, 2);
	a->subscriber_id = am_db_column_int64 (st, 3);
	a->subscriber = col_dup (st, 4);
	a->tier = col_dup (st, 5);
	a->callback_url = col_dup (st, 6);
	a->description = col_dup (st, 7);
	a->status = col_dup (st, 8);
	a->group_id = col_dup (st, 9);
	a->token_type = col_dup (st, 10);
	a->created_by = col_dup (st, 11);
	a->created_time = col_dup (st, 12);
	a->updated_by = col_dup (st, 13);
	a->updated_time = col_dup (st, 14);
	return a;
}

/* One application by @column (APPLICATION_ID or UUID); NULL without
 * @error when there is none. */
static AmApplication *
consumer_app_by (AmDbConn *conn, const char *column, gint64 id, const char *uuid,
		 GError **error)
{
	gboolean is_26;
	g_autofree char *where = NULL;
	g_autofree char *sql = NULL;
	g_autoptr (AmDbStmt) st = NULL;

	if (!consumer_is_26 (conn, &is_26, error))
		return NULL;
	where = g_strdup_printf ("WHERE A.%s = ?", column);
	sql = consumer_app_select (is_26, where);
	st = am_db_prepare (conn, sql, error);
	if (st == NULL)
		return NULL;
	if (uuid != NULL)
		am_db_bind_text (st, 1, uuid);
	else
		am_db_bind_int64 (st, 1, id);
	return am_db_step (st, error) == AM_DB_STEP_ROW ? consumer_app_read (st) : NULL;
}

static gboolean
consumer_check_spec (const AmApplicationSpec *spec, GError **error)
{
	if (!consumer_check_text ("application name", spec->name, CONSUMER_MAX_APP_NAME, TRUE,
				  error))
		return FALSE;
	if (g_ascii_isspace (spec->name[0]) ||
	    g_ascii_isspace (spec->name[strlen (spec->name) - 1])) {
		g_set_error_literal (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID,
				     "Application name cannot contain leading or trailing white "
				     "spaces");
		return FALSE;
	}
	if (spec->tier == NULL || *spec->tier == '\0') {
		g_set_error_literal (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_BAD_TIER,
				     "throttlingTier is required");
		return FALSE;
	}
	if (spec->token_type != NULL && strcmp (spec->token_type, "OAUTH") != 0 &&
	    strcmp (spec->token_type, "DEFAULT") != 0 && strcmp (spec->token_type, "JWT") != 0) {
		g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID,
			     "unknown token type '%s' (OAUTH, JWT)", spec->token_type);
		return FALSE;
	}
	return consumer_check_text ("description", spec->description, CONSUMER_MAX_TEXT, FALSE,
				    error) &&
	       consumer_check_text ("callbackUrl", spec->callback_url, CONSUMER_MAX_TEXT, FALSE,
				    error) &&
	       consumer_check_text ("groupId", spec->group_id, 100, FALSE, error);
}

/* The tier must be an application policy of @tenant_id; another
 * application of @subscriber_id (other than @self_id) must not have the
 * name. */
static gboolean
consumer_check_app_rules (AmDbConn *conn, const AmSubscriber *owner, const AmApplicationSpec *spec,
			  gint64 self_id, GError **error)
{
	g_autoptr (AmDbStmt) st = NULL;
	gboolean exists;
	gint64 other;

	if (!am_tiers_exists (conn, AM_TIER_LEVEL_APPLICATION, owner->tenant_id, spec->tier,
			      &exists, error))
		return FALSE;
	if (!exists) {
		g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_BAD_TIER,
			     "Specified tier %s is invalid", spec->tier);
		return FALSE;
	}
	st = am_db_prepare (conn,
			    "SELECT APPLICATION_ID FROM AM_APPLICATION WHERE SUBSCRIBER_ID = ? AND "
			    "LOWER(NAME) = LOWER(?) AND APPLICATION_ID <> ?",
			    error);
	if (st == NULL)
		return FALSE;
	am_db_bind_int64 (st, 1, owner->id);
	am_db_bind_text (st, 2, spec->name);
	am_db_bind_int64 (st, 3, self_id);
	other = consumer_first_id (st, error);
	if (other < 0)
		return FALSE;
	if (other > 0) {
		g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_APP_EXISTS,
			     "A duplicate application already exists by the name - %s", spec->name);
		return FALSE;
	}
	return TRUE;
}

static const char *
consumer_token_type (const char *requested)
{
	return requested != NULL && strcmp (requested, "JWT") == 0 ? "JWT" : "DEFAULT";
}

/* INSERT INTO AM_APPLICATION (SQLConstants.APP_APPLICATION_SQL); the new
 * APPLICATION_ID or -1. */
static gint64
consumer_insert_app (AmDbConn *conn, gboolean is_26, gint64 subscriber_id, const char *owner,
		     const AmApplicationSpec *spec, GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (
		conn,
		is_26 ? "INSERT INTO AM_APPLICATION (NAME, SUBSCRIBER_ID, APPLICATION_TIER, "
			"CALLBACK_URL, DESCRIPTION, APPLICATION_STATUS, GROUP_ID, CREATED_BY, "
			"CREATED_TIME, UPDATED_TIME, UUID, TOKEN_TYPE) "
			"VALUES (?, ?, ?, ?, ?, 'APPROVED', ?, ?, ?, ?, ?, ?)"
		      : "INSERT INTO AM_APPLICATION (NAME, SUBSCRIBER_ID, APPLICATION_TIER, "
			"CALLBACK_URL, DESCRIPTION, APPLICATION_STATUS, GROUP_ID, CREATED_BY, "
			"CREATED_TIME, UUID) VALUES (?, ?, ?, ?, ?, 'APPROVED', ?, ?, ?, ?)",
		error);
	g_autofree char *uuid = g_uuid_string_random ();
	gint64 now = consumer_now ();
	int i = 8;

	if (st == NULL)
		return -1;
	am_db_bind_text (st, 1, spec->name);
	am_db_bind_int64 (st, 2, subscriber_id);
	am_db_bind_text (st, 3, spec->tier);
	am_db_bind_text (st, 4, spec->callback_url);
	am_db_bind_text (st, 5, spec->description);
	am_db_bind_text (st, 6, spec->group_id != NULL ? spec->group_id : "");
	am_db_bind_text (st, 7, owner);
	am_db_bind_timestamp (st, i++, now);
	if (is_26)
		am_db_bind_timestamp (st, i++, now);
	am_db_bind_text (st, i++, uuid);
	if (is_26)
		am_db_bind_text (st, i, consumer_token_type (spec->token_type));
	if (consumer_run (st, error) < 0)
		return -1;
	return am_db_last_insert_id (st);
}

/* A unique violation on (NAME, SUBSCRIBER_ID) that a concurrent request
 * won: the same answer as the check before it. */
static void
consumer_map_dup_name (GError **error, const char *name)
{
	if (error != NULL && g_error_matches (*error, AM_DB_ERROR, AM_DB_ERROR_CONSTRAINT)) {
		g_clear_error (error);
		g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_APP_EXISTS,
			     "A duplicate application already exists by the name - %s", name);
	}
}

AmApplication *
am_consumer_app_create (AmDbConn *conn, const AmSubscriber *owner, const AmApplicationSpec *spec,
			GError **error)
{
	GError *local = NULL;
	gboolean is_26;
	gint64 id = -1;

	if (!consumer_check_spec (spec, error) || !consumer_is_26 (conn, &is_26, error))
		return NULL;
	if (am_db_begin (conn, &local) && consumer_check_app_rules (conn, owner, spec, 0, &local))
		id = consumer_insert_app (conn, is_26, owner->id, owner->user_id, spec, &local);
	if (id < 0 || !am_db_commit (conn, &local)) {
		am_db_rollback (conn, NULL);
		consumer_map_dup_name (&local, spec->name);
		g_propagate_error (error, local);
		return NULL;
	}
	return consumer_end_read (conn, consumer_app_by (conn, "APPLICATION_ID", id, NULL, error));
}

AmApplication *
am_consumer_app_get (AmDbConn *conn, const AmSubscriber *owner, const char *uuid, GError **error)
{
	GError *local = NULL;
	g_autoptr (AmApplication) app = NULL;

	if (uuid == NULL || *uuid == '\0') {
		g_set_error_literal (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID,
				     "no application id given");
		return NULL;
	}
	app = consumer_app_by (conn, "UUID", 0, uuid, &local);
	if (app == NULL) {
		if (local != NULL)
			g_propagate_error (error, local);
		else
			g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_NOT_FOUND,
				     "Requested application with Id '%s' not found", uuid);
		return NULL;
	}
	if (owner != NULL && app->subscriber_id != owner->id) {
		g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_FORBIDDEN,
			     "You don't have permission to access the application with Id %s", uuid);
		return NULL;
	}
	return g_steal_pointer (&app);
}

/* COUNT(*) of @sql (which selects it) with one int64 and an optional text
 * parameter; -1 on failure. */
static gint64
consumer_count (AmDbConn *conn, const char *sql, gint64 id, const char *text, GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (conn, sql, error);

	if (st == NULL)
		return -1;
	am_db_bind_int64 (st, 1, id);
	if (text != NULL)
		am_db_bind_text (st, 2, text);
	return consumer_first_id (st, error);
}

GPtrArray *
am_consumer_app_list (AmDbConn *conn, const AmSubscriber *owner, const char *query, guint offset,
		      guint limit, guint *total, GError **error)
{
	gboolean filter = query != NULL && *query != '\0';
	g_autofree char *like = filter ? consumer_like (query) : NULL;
	const char *where = filter ? "WHERE A.SUBSCRIBER_ID = ? AND LOWER(A.NAME) LIKE LOWER(?) "
				     "ESCAPE '!'"
				   : "WHERE A.SUBSCRIBER_ID = ?";
	g_autofree char *count_sql = g_strdup_printf (
		"SELECT COUNT(*) FROM AM_APPLICATION A %s", where);
	g_autofree char *page = g_strdup_printf ("%s ORDER BY A.NAME LIMIT ? OFFSET ?", where);
	g_autofree char *sql = NULL;
	g_autoptr (AmDbStmt) st = NULL;
	g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (
		(GDestroyNotify) am_application_free);
	gboolean is_26;
	gint64 n;
	AmDbStep step;
	int i = 1;

	if (!consumer_is_26 (conn, &is_26, error))
		return NULL;
	n = consumer_count (conn, count_sql, owner->id, like, error);
	if (n < 0)
		return NULL;
	sql = consumer_app_select (is_26, page);
	st = am_db_prepare (conn, sql, error);
	if (st == NULL)
		return NULL;
	am_db_bind_int64 (st, i++, owner->id);
	if (filter)
		am_db_bind_text (st, i++, like);
	am_db_bind_int64 (st, i++, limit > 0 ? limit : G_MAXINT32);
	am_db_bind_int64 (st, i, offset);
	while ((step = am_db_step (st, error)) == AM_DB_STEP_ROW)
		g_ptr_array_add (out, consumer_app_read (st));
	if (step == AM_DB_STEP_ERROR)
		return NULL;
	if (total != NULL)
		*total = (guint) n;
	return g_steal_pointer (&out);
}

static gboolean
consumer_update_app (AmDbConn *conn, gboolean is_26, const AmSubscriber *owner,
		     const AmApplication *app, const AmApplicationSpec *spec, GError **error)
{
	g_autoptr (AmDbStmt) st = NULL;
	gboolean token_type = is_26 && spec->token_type != NULL;

	if (!am_db_begin (conn, error) || !consumer_check_app_rules (conn, owner, spec, app->id, error))
		return FALSE;
	/* SQLConstants.UPDATE_APPLICATION_SQL */
	st = am_db_prepare (conn,
			    token_type ? "UPDATE AM_APPLICATION SET NAME = ?, APPLICATION_TIER = ?, "
					 "CALLBACK_URL = ?, DESCRIPTION = ?, UPDATED_BY = ?, "
					 "UPDATED_TIME = ?, TOKEN_TYPE = ? WHERE APPLICATION_ID = ?"
				       : "UPDATE AM_APPLICATION SET NAME = ?, APPLICATION_TIER = ?, "
					 "CALLBACK_URL = ?, DESCRIPTION = ?, UPDATED_BY = ?, "
					 "UPDATED_TIME = ? WHERE APPLICATION_ID = ?",
			    error);
	if (st == NULL)
		return FALSE;
	am_db_bind_text (st, 1, spec->name);
	am_db_bind_text (st, 2, spec->tier);
	am_db_bind_text (st, 3, spec->callback_url);
	am_db_bind_text (st, 4, spec->description);
	am_db_bind_text (st, 5, owner->user_id);
	am_db_bind_timestamp (st, 6, consumer_now ());
	if (token_type)
		am_db_bind_text (st, 7, consumer_token_type (spec->token_type));
	am_db_bind_int64 (st, token_type ? 8 : 7, app->id);
	return consumer_run (st, error) >= 0 && am_db_commit (conn, error);
}

AmApplication *
am_consumer_app_update (AmDbConn *conn, const AmSubscriber *owner, const char *uuid,
			const AmApplicationSpec *spec, GError **error)
{
	g_autoptr (AmApplication) app = NULL;
	GError *local = NULL;
	gboolean is_26;

	if (!consumer_check_spec (spec, error))
		return NULL;
	app = am_consumer_app_get (conn, owner, uuid, error);
	if (app == NULL || !consumer_is_26 (conn, &is_26, error))
		return NULL;
	if (!consumer_update_app (conn, is_26, owner, app, spec, &local)) {
		am_db_rollback (conn, NULL);
		consumer_map_dup_name (&local, spec->name);
		g_propagate_error (error, local);
		return NULL;
	}
	return consumer_end_read (conn,
				  consumer_app_by (conn, "APPLICATION_ID", app->id, NULL, error));
}

/* The key types of @app_id whose mapping has a consumer key. */
static GPtrArray *
consumer_keyed_types (AmDbConn *conn, gint64 app_id, GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (
		conn,
		"SELECT KEY_TYPE FROM AM_APPLICATION_KEY_MAPPING WHERE APPLICATION_ID = ? AND "
		"CONSUMER_KEY IS NOT NULL AND CONSUMER_KEY <> ''",
		error);
	g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
	AmDbStep step;

	if (st == NULL)
		return NULL;
	am_db_bind_int64 (st, 1, app_id);
	while ((step = am_db_step (st, error)) == AM_DB_STEP_ROW)
		g_ptr_array_add (out, g_strdup (am_db_column_text (st, 0)));
	if (step == AM_DB_STEP_ERROR)
		return NULL;
	return g_steal_pointer (&out);
}

/* ApiMgtDAO.deleteApplication's rows, in one transaction. */
static gboolean
consumer_delete_app_rows (AmDbConn *conn, gint64 id, GError **error)
{
	static const char *const sql[] = {
		"DELETE FROM AM_SUBSCRIPTION_KEY_MAPPING WHERE SUBSCRIPTION_ID IN "
		"(SELECT SUBSCRIPTION_ID FROM AM_SUBSCRIPTION WHERE APPLICATION_ID = ?)",
		"DELETE FROM AM_SUBSCRIPTION WHERE APPLICATION_ID = ?",
		"DELETE FROM AM_APPLICATION_KEY_MAPPING WHERE APPLICATION_ID = ?",
		"DELETE FROM AM_APPLICATION_REGISTRATION WHERE APP_ID = ?",
	};
	/* 2.6 tables (ON DELETE CASCADE there, but SQLite only cascades with
	 * foreign keys switched on) */
	static const char *const optional[][2] = {
		{ "AM_APPLICATION_ATTRIBUTES", "DELETE FROM AM_APPLICATION_ATTRIBUTES WHERE "
					       "APPLICATION_ID = ?" },
		{ "AM_APPLICATION_GROUP_MAPPING", "DELETE FROM AM_APPLICATION_GROUP_MAPPING WHERE "
						  "APPLICATION_ID = ?" },
	};

	if (!am_db_begin (conn, error))
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS (sql); i++) {
		if (consumer_exec_id (conn, sql[i], id, error) < 0)
			return FALSE;
	}
	for (guint i = 0; i < G_N_ELEMENTS (optional); i++) {
		GError *local = NULL;
		gboolean has = am_db_table_exists (conn, optional[i][0], &local);

		if (local != NULL) {
			g_propagate_error (error, local);
			return FALSE;
		}
		if (has && consumer_exec_id (conn, optional[i][1], id, error) < 0)
			return FALSE;
	}
	return consumer_exec_id (conn, "DELETE FROM AM_APPLICATION WHERE APPLICATION_ID = ?", id,
				 error) >= 0 &&
	       am_db_commit (conn, error);
}

gboolean
am_consumer_app_delete (AmKm *km, AmDbConn *conn, const AmSubscriber *owner, const char *uuid,
			GError **error)
{
	g_autoptr (AmApplication) app = am_consumer_app_get (conn, owner, uuid, error);
	g_autoptr (GPtrArray) types = NULL;

	if (app == NULL)
		return FALSE;
	types = consumer_keyed_types (conn, app->id, error);
	if (types == NULL)
		return FALSE;
	/* the OAuth clients first, through the Key Manager, so that their
	 * tokens are revoked and the gateways told */
	for (guint i = 0; i < types->len; i++) {
		if (km == NULL) {
			g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_FAILED,
				     "application %s has keys and no Key Manager is at hand", uuid);
			return FALSE;
		}
		if (!am_km_app_delete_keys (km, conn, app->id, types->pdata[i], error))
			return FALSE;
	}
	if (!consumer_delete_app_rows (conn, app->id, error)) {
		am_db_rollback (conn, NULL);
		return FALSE;
	}
	g_message ("application '%s' (%s) of '%s' deleted", app->name, app->uuid, app->subscriber);
	return TRUE;
}

/* ---- keys ---- */

void
am_app_key_free (AmAppKey *key)
{
	if (key == NULL)
		return;
	g_free (key->key_type);
	g_free (key->consumer_key);
	if (key->consumer_secret != NULL)
		memset (key->consumer_secret, 0, strlen (key->consumer_secret));
	g_free (key->consumer_secret);
	g_strfreev (key->supported_grant_types);
	g_free (key->callback_url);
	g_free (key->key_state);
	g_free (key->create_mode);
	g_free (key->access_token);
	g_strfreev (key->token_scopes);
	g_free (key);
}

static char **
consumer_split_spaces (const char *text)
{
	g_auto (GStrv) parts = g_strsplit (text != NULL ? text : "", " ", -1);
	g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);

	for (guint i = 0; parts[i] != NULL; i++) {
		if (*parts[i] != '\0')
			g_ptr_array_add (out, g_strdup (parts[i]));
	}
	g_ptr_array_add (out, NULL);
	return (char **) g_ptr_array_steal (out, NULL);
}

GPtrArray *
am_consumer_app_keys (AmDbConn *conn, const AmApplication *app, GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (
		conn,
		"SELECT M.KEY_TYPE, M.CONSUMER_KEY, M.STATE, M.CREATE_MODE, C.CONSUMER_SECRET, "
		"C.GRANT_TYPES, C.CALLBACK_URL FROM AM_APPLICATION_KEY_MAPPING M "
		"LEFT JOIN IDN_OAUTH_CONSUMER_APPS C ON C.CONSUMER_KEY = M.CONSUMER_KEY "
		"WHERE M.APPLICATION_ID = ? ORDER BY M.KEY_TYPE",
		error);
	g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) am_app_key_free);
	AmDbStep step;

	if (st == NULL)
		return NULL;
	am_db_bind_int64 (st, 1, app->id);
	while ((step = am_db_step (st, error)) == AM_DB_STEP_ROW) {
		AmAppKey *k = g_new0 (AmAppKey, 1);

		k->key_type = col_dup (st, 0);
		k->consumer_key = col_dup (st, 1);
		k->key_state = col_dup (st, 2);
		k->create_mode = col_dup (st, 3);
		k->consumer_secret = col_dup (st, 4);
		k->supported_grant_types = consumer_split_spaces (am_db_column_text (st, 5));
		k->callback_url = col_dup (st, 6);
		g_ptr_array_add (out, k);
	}
	if (step == AM_DB_STEP_ERROR)
		return NULL;
	return g_steal_pointer (&out);
}

static gboolean
consumer_check_key_request (const AmKeyRequest *req, GError **error)
{
	if (g_strcmp0 (req->key_type, "PRODUCTION") != 0 &&
	    g_strcmp0 (req->key_type, "SANDBOX") != 0) {
		g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID,
			     "Invalid keyType '%s' (PRODUCTION, SANDBOX)",
			     req->key_type != NULL ? req->key_type : "");
		return FALSE;
	}
	if (req->validity_time < -1) {
		g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID,
			     "Invalid validityTime %" G_GINT64_FORMAT, req->validity_time);
		return FALSE;
	}
	return consumer_check_text ("callbackUrl", req->callback_url, CONSUMER_MAX_TEXT, FALSE,
				    error);
}

/* The grant types for the client: as asked (space separated), without
 * authorization_code / implicit when there is no callback URL; NULL for
 * the Key Manager's default list. */
static char *
consumer_grant_types (const AmKeyRequest *req)
{
	gboolean no_callback = req->callback_url == NULL || *req->callback_url == '\0';
	g_autoptr (GString) s = NULL;

	if (req->grant_types == NULL)
		return NULL;
	s = g_string_new (NULL);
	for (guint i = 0; req->grant_types[i] != NULL; i++) {
		const char *g = req->grant_types[i];

		if (*g == '\0' || (no_callback && (strcmp (g, "authorization_code") == 0 ||
						    strcmp (g, "implicit") == 0)))
			continue;
		if (s->len > 0)
			g_string_append_c (s, ' ');
		g_string_append (s, g);
	}
	return g_string_free (g_steal_pointer (&s), FALSE);
}

/* INPUTS of AM_APPLICATION_REGISTRATION: the JSON the Store builds from the
 * request ({"grant_types":"a,b"} when grant types were given). */
static char *
consumer_inputs_json (const AmKeyRequest *req)
{
	g_autoptr (JsonBuilder) b = NULL;
	g_autoptr (JsonGenerator) gen = NULL;
	g_autoptr (JsonNode) root = NULL;
	g_autofree char *joined = NULL;

	if (req->grant_types == NULL)
		return NULL;
	joined = g_strjoinv (",", (char **) req->grant_types);
	b = json_builder_new ();
	json_builder_begin_object (b);
	json_builder_set_member_name (b, "grant_types");
	json_builder_add_string_value (b, joined);
	json_builder_end_object (b);
	root = json_builder_get_root (b);
	gen = json_generator_new ();
	json_generator_set_root (gen, root);
	return json_generator_to_data (gen, NULL);
}

/* The registration row with the request's values
 * (ApiMgtDAO.createApplicationRegistrationEntry), updated in place when one
 * is left from an earlier request. */
static gboolean
consumer_register (AmDbConn *conn, const AmApplication *app, const AmKeyRequest *req,
		   gint64 validity, GError **error)
{
	const char *const all[] = { "ALL", NULL };
	const char *const dflt[] = { "default", NULL };
	g_autofree char *domains = g_strjoinv (",", (char **) (req->allowed_domains != NULL
								       ? req->allowed_domains
								       : all));
	g_autofree char *scopes = g_strjoinv (" ", (char **) (req->scopes != NULL ? req->scopes
										  : dflt));
	g_autofree char *inputs = consumer_inputs_json (req);
	g_autofree char *wf_ref = g_uuid_string_random ();
	g_autoptr (AmDbStmt) st = am_db_prepare (conn,
						 "SELECT REG_ID FROM AM_APPLICATION_REGISTRATION "
						 "WHERE SUBSCRIBER_ID = ? AND APP_ID = ? AND "
						 "TOKEN_TYPE = ?",
						 error);
	gint64 reg_id;

	if (st == NULL)
		return FALSE;
	am_db_bind_int64 (st, 1, app->subscriber_id);
	am_db_bind_int64 (st, 2, app->id);
	am_db_bind_text (st, 3, req->key_type);
	reg_id = consumer_first_id (st, error);
	if (reg_id < 0)
		return FALSE;
	g_clear_pointer (&st, am_db_stmt_free);
	if (reg_id > 0) {
		st = am_db_prepare (conn,
				    "UPDATE AM_APPLICATION_REGISTRATION SET ALLOWED_DOMAINS = ?, "
				    "VALIDITY_PERIOD = ?, TOKEN_SCOPE = ?, INPUTS = ? WHERE REG_ID = ?",
				    error);
		if (st == NULL)
			return FALSE;
		am_db_bind_text (st, 1, domains);
		am_db_bind_int64 (st, 2, validity);
		am_db_bind_text (st, 3, scopes);
		am_db_bind_text (st, 4, inputs);
		am_db_bind_int64 (st, 5, reg_id);
		return consumer_run (st, error) >= 0;
	}
	st = am_db_prepare (conn,
			    "INSERT INTO AM_APPLICATION_REGISTRATION (SUBSCRIBER_ID, WF_REF, APP_ID, "
			    "TOKEN_TYPE, ALLOWED_DOMAINS, VALIDITY_PERIOD, TOKEN_SCOPE, INPUTS) "
			    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			    error);
	if (st == NULL)
		return FALSE;
	am_db_bind_int64 (st, 1, app->subscriber_id);
	am_db_bind_text (st, 2, wf_ref);
	am_db_bind_int64 (st, 3, app->id);
	am_db_bind_text (st, 4, req->key_type);
	am_db_bind_text (st, 5, domains);
	am_db_bind_int64 (st, 6, validity);
	am_db_bind_text (st, 7, scopes);
	am_db_bind_text (st, 8, inputs);
	return consumer_run (st, error) >= 0;
}

/* Whether (@app, @key_type) already has a consumer key: *@exists. */
static gboolean
consumer_has_keys (AmDbConn *conn, gint64 app_id, const char *key_type, gboolean *exists,
		   GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (
		conn,
		"SELECT 1 FROM AM_APPLICATION_KEY_MAPPING WHERE APPLICATION_ID = ? AND "
		"KEY_TYPE = ? AND CONSUMER_KEY IS NOT NULL AND CONSUMER_KEY <> ''",
		error);
	AmDbStep step;

	if (st == NULL)
		return FALSE;
	am_db_bind_int64 (st, 1, app_id);
	am_db_bind_text (st, 2, key_type);
	step = am_db_step (st, error);
	*exists = step == AM_DB_STEP_ROW;
	return step != AM_DB_STEP_ERROR;
}

/* Registration + OAuth client, committed together; the client or NULL. */
static AmKmClient *
consumer_create_client (AmKm *km, AmDbConn *conn, const AmApplication *app,
			const AmKeyRequest *req, GError **error)
{
	g_autofree char *grants = consumer_grant_types (req);
	gint64 validity = req->validity_time != 0 ? req->validity_time
						  : am_km_get_conf (km)->app_token_validity;
	GError *local = NULL;
	gboolean exists;
	AmKmClient *c;

	if (!am_db_begin (conn, error) ||
	    !consumer_has_keys (conn, app->id, req->key_type, &exists, error))
		return NULL;
	if (exists) {
		g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_KEYS_EXIST,
			     "Keys already generated for the application %s", app->uuid);
		return NULL;
	}
	if (!consumer_register (conn, app, req, validity, error))
		return NULL;
	/* joins this transaction and commits it */
	c = am_km_app_create_keys (km, conn, app->id, req->key_type, app->subscriber, grants,
				   req->callback_url, &local);
	if (c == NULL) {
		if (g_error_matches (local, AM_KM_ERROR, AM_KM_ERROR_EXISTS)) {
			g_clear_error (&local);
			g_set_error (&local, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_KEYS_EXIST,
				     "Keys already generated for the application %s", app->uuid);
		}
		g_propagate_error (error, local);
	}
	return c;
}

static gboolean
consumer_has_grant (const AmKmClient *c, const char *grant)
{
	g_auto (GStrv) grants = consumer_split_spaces (c->grant_types);

	return g_strv_contains ((const char *const *) grants, grant);
}

AmAppKey *
am_consumer_app_generate_keys (AmKm *km, AmDbConn *conn, const AmSubscriber *owner,
			       const AmApplication *app, const AmKeyRequest *req, GError **error)
{
	g_autoptr (AmKmClient) c = NULL;
	g_autoptr (AmKmIssuedToken) token = NULL;
	const char *const dflt[] = { "default", NULL };
	const char *const na[] = { "N/A", NULL };
	AmAppKey *k;

	if (owner != NULL && app->subscriber_id != owner->id) {
		g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_FORBIDDEN,
			     "You don't have permission to access the application with Id %s",
			     app->uuid);
		return NULL;
	}
	if (!consumer_check_key_request (req, error))
		return NULL;
	c = consumer_create_client (km, conn, app, req, error);
	if (c == NULL) {
		am_db_rollback (conn, NULL);
		return NULL;
	}
	/* the application token, as the Store asks the token endpoint for it
	 * (validity_period -1 means never expires) */
	if (consumer_has_grant (c, "client_credentials")) {
		token = am_km_token_issue_client_credentials (
			km, conn, c, req->scopes != NULL ? req->scopes : dflt,
			req->validity_time, error);
		if (token == NULL) {
			am_db_rollback (conn, NULL);
			g_prefix_error (error, "keys of application %s were created, but not "
					       "their access token: ",
					app->uuid);
			return NULL;
		}
	}
	k = g_new0 (AmAppKey, 1);
	k->key_type = g_strdup (req->key_type);
	k->consumer_key = g_strdup (c->consumer_key);
	k->consumer_secret = g_strdup (c->consumer_secret);
	k->supported_grant_types = consumer_split_spaces (c->grant_types);
	k->callback_url = g_strdup (c->callback_url);
	k->key_state = g_strdup ("APPROVED");
	k->create_mode = g_strdup ("CREATED");
	k->access_token = g_strdup (token != NULL ? token->access_token : "");
	k->validity_time = token != NULL ? token->expires_in : 0;
	k->token_scopes = g_strdupv (token != NULL ? token->scopes : (char **) na);
	g_message ("%s keys generated for application '%s' of '%s'", req->key_type, app->name,
		   app->subscriber);
	return k;
}

/* ---- subscriptions ---- */

void
am_subscription_free (AmSubscription *sub)
{
	if (sub == NULL)
		return;
	g_free (sub->uuid);
	g_free (sub->tier);
	g_free (sub->api_provider);
	g_free (sub->api_name);
	g_free (sub->api_version);
	g_free (sub->api_identifier);
	g_free (sub->application_uuid);
	g_free (sub->application_name);
	g_free (sub->status);
	g_free (sub->create_state);
	g_free (sub->created_by);
	g_free (sub->created_time);
	g_free (sub->updated_by);
	g_free (sub->updated_time);
	g_free (sub);
}

#define SUB_SELECT                                                                              \
	"SELECT SUB.SUBSCRIPTION_ID, SUB.UUID, SUB.TIER_ID, SUB.API_ID, API.API_PROVIDER, "    \
	"API.API_NAME, API.API_VERSION, SUB.APPLICATION_ID, APP.UUID, APP.NAME, "             \
	"APP.SUBSCRIBER_ID, SUB.SUB_STATUS, SUB.SUBS_CREATE_STATE, SUB.CREATED_BY, "           \
	"SUB.CREATED_TIME, SUB.UPDATED_BY, SUB.UPDATED_TIME FROM AM_SUBSCRIPTION SUB "         \
	"JOIN AM_API API ON SUB.API_ID = API.API_ID "                                         \
	"JOIN AM_APPLICATION APP ON SUB.APPLICATION_ID = APP.APPLICATION_ID "

static AmSubscription *
consumer_sub_read (AmDbStmt *st)
{
	AmSubscription *s = g_new0 (AmSubscription, 1);
	g_autoptr (GString) provider = NULL;

	s->id = am_db_column_int64 (st, 0);
	s->uuid = col_dup (st, 1);
	s->tier = col_dup (st, 2);
	s->api_id = am_db_column_int64 (st, 3);
	s->api_provider = col_dup (st, 4);
	s->api_name = col_dup (st, 5);
	s->api_version = col_dup (st, 6);
	s->application_id = am_db_column_int64 (st, 7);
	s->application_uuid = col_dup (st, 8);
	s->application_name = col_dup (st, 9);
	s->subscriber_id = am_db_column_int64 (st, 10);
	s->status = col_dup (st, 11);
	s->create_state = col_dup (st, 12);
	s->created_by = col_dup (st, 13);
	s->created_time = col_dup (st, 14);
	s->updated_by = col_dup (st, 15);
	s->updated_time = col_dup (st, 16);
	/* APIIdentifier.toString with APIUtil.replaceEmailDomain */
	provider = g_string_new (s->api_provider != NULL ? s->api_provider : "");
	g_string_replace (provider, "@", "-AT-", 0);
	s->api_identifier = g_strdup_printf ("%s-%s-%s", provider->str,
					     s->api_name != NULL ? s->api_name : "",
					     s->api_version != NULL ? s->api_version : "");
	return s;
}

static AmSubscription *
consumer_sub_by_uuid (AmDbConn *conn, const char *uuid, GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (conn, SUB_SELECT "WHERE SUB.UUID = ?", error);

	if (st == NULL)
		return NULL;
	am_db_bind_text (st, 1, uuid);
	return am_db_step (st, error) == AM_DB_STEP_ROW ? consumer_sub_read (st) : NULL;
}

AmSubscription *
am_consumer_sub_get (AmDbConn *conn, const AmSubscriber *owner, const char *uuid, GError **error)
{
	GError *local = NULL;
	g_autoptr (AmSubscription) sub = NULL;

	if (uuid == NULL || *uuid == '\0') {
		g_set_error_literal (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID,
				     "no subscription id given");
		return NULL;
	}
	sub = consumer_sub_by_uuid (conn, uuid, &local);
	if (sub == NULL) {
		if (local != NULL)
			g_propagate_error (error, local);
		else
			g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_NOT_FOUND,
				     "Requested subscription with Id '%s' not found", uuid);
		return NULL;
	}
	if (owner != NULL && sub->subscriber_id != owner->id) {
		g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_FORBIDDEN,
			     "You don't have permission to access the subscription with Id %s",
			     uuid);
		return NULL;
	}
	return g_steal_pointer (&sub);
}

/* The tier must be one of the API's and a subscription policy of the
 * owner's tenant; the API must exist. */
static gboolean
consumer_check_sub_rules (AmDbConn *conn, const AmSubscriber *owner, gint64 api_id,
			  const char *tier, const char *const *api_tiers, GError **error)
{
	g_autoptr (AmDbStmt) st = NULL;
	gboolean exists;
	gint64 found;

	if (tier == NULL || *tier == '\0' || api_tiers == NULL ||
	    !g_strv_contains (api_tiers, tier)) {
		g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_BAD_TIER,
			     "Tier %s is not allowed for API %" G_GINT64_FORMAT,
			     tier != NULL ? tier : "", api_id);
		return FALSE;
	}
	if (!am_tiers_exists (conn, AM_TIER_LEVEL_SUBSCRIPTION, owner->tenant_id, tier, &exists,
			      error))
		return FALSE;
	if (!exists) {
		g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_BAD_TIER,
			     "Specified tier %s is invalid", tier);
		return FALSE;
	}
	st = am_db_prepare (conn, "SELECT API_ID FROM AM_API WHERE API_ID = ?", error);
	if (st == NULL)
		return FALSE;
	am_db_bind_int64 (st, 1, api_id);
	found = consumer_first_id (st, error);
	if (found < 0)
		return FALSE;
	if (found == 0) {
		g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_NOT_FOUND,
			     "no API with id %" G_GINT64_FORMAT, api_id);
		return FALSE;
	}
	return TRUE;
}

/* An earlier subscription of the application to the API
 * (ApiMgtDAO.addSubscription): still subscribed -> SUB_EXISTS, blocked ->
 * SUB_BLOCKED, unsubscribed -> removed so that the new one replaces it. */
static gboolean
consumer_check_existing (AmDbConn *conn, const AmApplication *app, gint64 api_id, GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (conn,
						 "SELECT SUB_STATUS, SUBS_CREATE_STATE, SUBSCRIPTION_ID "
						 "FROM AM_SUBSCRIPTION WHERE API_ID = ? AND "
						 "APPLICATION_ID = ?",
						 error);
	g_autofree char *status = NULL;
	g_autofree char *state = NULL;
	gint64 id;
	AmDbStep step;

	if (st == NULL)
		return FALSE;
	am_db_bind_int64 (st, 1, api_id);
	am_db_bind_int64 (st, 2, app->id);
	step = am_db_step (st, error);
	if (step != AM_DB_STEP_ROW)
		return step == AM_DB_STEP_DONE;
	status = col_dup (st, 0);
	state = col_dup (st, 1);
	id = am_db_column_int64 (st, 2);
	g_clear_pointer (&st, am_db_stmt_free);
	if (g_strcmp0 (status, "BLOCKED") == 0 || g_strcmp0 (status, "PROD_ONLY_BLOCKED") == 0) {
		g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_SUB_BLOCKED,
			     "Subscription to API %" G_GINT64_FORMAT " through application %s was "
			     "blocked",
			     api_id, app->name);
		return FALSE;
	}
	if (g_strcmp0 (state, "UN_SUBSCRIBE") == 0)
		return consumer_exec_id (conn,
					 "DELETE FROM AM_SUBSCRIPTION_KEY_MAPPING WHERE "
					 "SUBSCRIPTION_ID = ?",
					 id, error) >= 0 &&
		       consumer_exec_id (conn,
					 "DELETE FROM AM_SUBSCRIPTION WHERE SUBSCRIPTION_ID = ?", id,
					 error) >= 0;
	g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_SUB_EXISTS,
		     "Subscription already exists for API %" G_GINT64_FORMAT " in Application %s",
		     api_id, app->name);
	return FALSE;
}

static char *
consumer_insert_sub (AmDbConn *conn, const AmSubscriber *owner, const AmApplication *app,
		     gint64 api_id, const char *tier, GError **error)
{
	g_autofree char *uuid = g_uuid_string_random ();
	g_autoptr (AmDbStmt) st = NULL;
	gboolean is_26;
	gint64 now = consumer_now ();

	if (!consumer_is_26 (conn, &is_26, error))
		return NULL;
	/* SQLConstants.ADD_SUBSCRIPTION_SQL (2.1 has no UPDATED_TIME there) */
	st = am_db_prepare (conn,
			    is_26 ? "INSERT INTO AM_SUBSCRIPTION (TIER_ID, API_ID, APPLICATION_ID, "
				    "SUB_STATUS, SUBS_CREATE_STATE, CREATED_BY, CREATED_TIME, "
				    "UPDATED_TIME, UUID) VALUES (?, ?, ?, 'UNBLOCKED', 'SUBSCRIBE', "
				    "?, ?, ?, ?)"
				  : "INSERT INTO AM_SUBSCRIPTION (TIER_ID, API_ID, APPLICATION_ID, "
				    "SUB_STATUS, SUBS_CREATE_STATE, CREATED_BY, CREATED_TIME, UUID) "
				    "VALUES (?, ?, ?, 'UNBLOCKED', 'SUBSCRIBE', ?, ?, ?)",
			    error);
	if (st == NULL)
		return NULL;
	am_db_bind_text (st, 1, tier);
	am_db_bind_int64 (st, 2, api_id);
	am_db_bind_int64 (st, 3, app->id);
	am_db_bind_text (st, 4, owner->user_id);
	am_db_bind_timestamp (st, 5, now);
	if (is_26)
		am_db_bind_timestamp (st, 6, now);
	am_db_bind_text (st, is_26 ? 7 : 6, uuid);
	if (consumer_run (st, error) < 0)
		return NULL;
	return g_steal_pointer (&uuid);
}

AmSubscription *
am_consumer_sub_create (AmDbConn *conn, const AmSubscriber *owner, const AmApplication *app,
			gint64 api_id, const char *tier, const char *const *api_tiers,
			GError **error)
{
	g_autofree char *uuid = NULL;

	if (app->subscriber_id != owner->id) {
		g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_FORBIDDEN,
			     "You don't have permission to access the application with Id %s",
			     app->uuid);
		return NULL;
	}
	if (!consumer_check_sub_rules (conn, owner, api_id, tier, api_tiers, error))
		return NULL;
	if (!am_db_begin (conn, error) || !consumer_check_existing (conn, app, api_id, error) ||
	    (uuid = consumer_insert_sub (conn, owner, app, api_id, tier, error)) == NULL ||
	    !am_db_commit (conn, error)) {
		am_db_rollback (conn, NULL);
		return NULL;
	}
	return consumer_end_read (conn, am_consumer_sub_get (conn, NULL, uuid, error));
}

static GPtrArray *
consumer_sub_list (AmDbConn *conn, const char *column, const char *order, gint64 id,
		   guint offset, guint limit, guint *total, GError **error)
{
	g_autofree char *count_sql = g_strdup_printf (
		"SELECT COUNT(*) FROM AM_SUBSCRIPTION SUB JOIN AM_API API ON SUB.API_ID = "
		"API.API_ID WHERE SUB.%s = ? AND SUB.SUBS_CREATE_STATE = 'SUBSCRIBE'",
		column);
	g_autofree char *sql = g_strdup_printf (SUB_SELECT "WHERE SUB.%s = ? AND "
							   "SUB.SUBS_CREATE_STATE = 'SUBSCRIBE' "
							   "ORDER BY %s LIMIT ? OFFSET ?",
						column, order);
	g_autoptr (AmDbStmt) st = NULL;
	g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (
		(GDestroyNotify) am_subscription_free);
	gint64 n = consumer_count (conn, count_sql, id, NULL, error);
	AmDbStep step;

	if (n < 0 || (st = am_db_prepare (conn, sql, error)) == NULL)
		return NULL;
	am_db_bind_int64 (st, 1, id);
	am_db_bind_int64 (st, 2, limit > 0 ? limit : G_MAXINT32);
	am_db_bind_int64 (st, 3, offset);
	while ((step = am_db_step (st, error)) == AM_DB_STEP_ROW)
		g_ptr_array_add (out, consumer_sub_read (st));
	if (step == AM_DB_STEP_ERROR)
		return NULL;
	if (total != NULL)
		*total = (guint) n;
	return g_steal_pointer (&out);
}

GPtrArray *
am_consumer_sub_list_by_app (AmDbConn *conn, gint64 application_id, guint offset, guint limit,
			     guint *total, GError **error)
{
	return consumer_sub_list (conn, "APPLICATION_ID",
				  "API.API_NAME, API.API_VERSION, SUB.SUBSCRIPTION_ID",
				  application_id, offset, limit, total, error);
}

GPtrArray *
am_consumer_sub_list_by_api (AmDbConn *conn, gint64 api_id, guint offset, guint limit,
			     guint *total, GError **error)
{
	return consumer_sub_list (conn, "API_ID", "APP.NAME, SUB.SUBSCRIPTION_ID", api_id, offset,
				  limit, total, error);
}

gboolean
am_consumer_sub_delete (AmDbConn *conn, const AmSubscriber *owner, const char *uuid,
			GError **error)
{
	g_autoptr (AmSubscription) sub = am_consumer_sub_get (conn, owner, uuid, error);

	if (sub == NULL)
		return FALSE;
	/* ApiMgtDAO.removeSubscription */
	if (!am_db_begin (conn, error) ||
	    consumer_exec_id (conn,
			      "DELETE FROM AM_SUBSCRIPTION_KEY_MAPPING WHERE SUBSCRIPTION_ID = ?",
			      sub->id, error) < 0 ||
	    consumer_exec_id (conn, "DELETE FROM AM_SUBSCRIPTION WHERE SUBSCRIPTION_ID = ?",
			      sub->id, error) < 0 ||
	    !am_db_commit (conn, error)) {
		am_db_rollback (conn, NULL);
		return FALSE;
	}
	return TRUE;
}

static gboolean
consumer_sub_set_status (AmDbConn *conn, const char *uuid, const char *status, const char *user,
			 GError **error)
{
	g_autoptr (AmDbStmt) st = NULL;
	gint64 n;

	if (uuid == NULL || *uuid == '\0') {
		g_set_error_literal (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID,
				     "no subscription id given");
		return FALSE;
	}
	/* the Publisher's block / unblock update (ApiMgtDAO.updateSubscription) */
	st = am_db_prepare (conn,
			    "UPDATE AM_SUBSCRIPTION SET SUB_STATUS = ?, UPDATED_BY = ?, "
			    "UPDATED_TIME = ? WHERE UUID = ?",
			    error);
	if (st == NULL)
		return FALSE;
	am_db_bind_text (st, 1, status);
	am_db_bind_text (st, 2, user);
	am_db_bind_timestamp (st, 3, consumer_now ());
	am_db_bind_text (st, 4, uuid);
	n = consumer_run (st, error);
	g_clear_pointer (&st, am_db_stmt_free);
	if (n < 0 || (n > 0 && !am_db_commit (conn, error))) {
		am_db_rollback (conn, NULL);
		return FALSE;
	}
	if (n == 0) {
		am_db_rollback (conn, NULL);
		g_set_error (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_NOT_FOUND,
			     "Requested subscription with Id '%s' not found", uuid);
		return FALSE;
	}
	g_message ("subscription %s set %s by '%s'", uuid, status, user != NULL ? user : "");
	return TRUE;
}

gboolean
am_consumer_sub_block (AmDbConn *conn, const char *uuid, gboolean production_only,
		       const char *user, GError **error)
{
	return consumer_sub_set_status (conn, uuid, production_only ? "PROD_ONLY_BLOCKED" : "BLOCKED",
					user, error);
}

gboolean
am_consumer_sub_unblock (AmDbConn *conn, const char *uuid, const char *user, GError **error)
{
	return consumer_sub_set_status (conn, uuid, "UNBLOCKED", user, error);
}

/* ---- self sign-up ---- */

gboolean
am_consumer_sign_up (AmUserStore *us, const char *username, const char *password,
		     GError **error)
{
	const char *const roles[] = { "Internal/subscriber", NULL };
	GError *local = NULL;

	if (username == NULL || *username == '\0') {
		g_set_error_literal (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID,
				     "a user name is required");
		return FALSE;
	}
	if (password == NULL || *password == '\0') {
		g_set_error_literal (error, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_INVALID,
				     "a password is required");
		return FALSE;
	}
	if (am_userstore_add_user (us, username, password, roles, &local)) {
		g_message ("self sign-up: user '%s' added with role %s", username, roles[0]);
		return TRUE;
	}
	if (local->domain == AM_USERSTORE_ERROR) {
		int code = local->code == AM_USERSTORE_ERROR_EXISTS	? AM_CONSUMER_ERROR_USER_EXISTS
			   : local->code == AM_USERSTORE_ERROR_POLICY ||
				     local->code == AM_USERSTORE_ERROR_TENANT ||
				     local->code == AM_USERSTORE_ERROR_AUTH
				   ? AM_CONSUMER_ERROR_INVALID
				   : AM_CONSUMER_ERROR_FAILED;

		g_set_error_literal (error, AM_CONSUMER_ERROR, code, local->message);
		g_error_free (local);
		return FALSE;
	}
	g_propagate_error (error, local);
	return FALSE;
}
