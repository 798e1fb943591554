/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JDBC user store of Carbon 4.4 (JDBCUserStoreManager + HybridRoleManager
 * + JDBCAuthorizationManager), on the same UM_* rows, so that users of an
 * existing WSO2 database log in unchanged and users created here log in to
 * WSO2.
 *
 * Passwords (user-mgt.xml PasswordDigest=SHA-256, StoreSaltedPassword=true):
 * UM_SALT_VALUE is 16 random bytes in Base64; UM_USER_PASSWORD is
 * Base64(SHA-256(UTF-8(trim(password) + saltBase64))) -- the salt *text* is
 * appended, not its bytes.  Internal roles live in UM_HYBRID_ROLE without
 * their "Internal/" prefix.  Only the super tenant (-1234) is served.
 */
#define G_LOG_DOMAIN "am.core.userstore"
#include "config.h"

#include "am-userstore.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <string.h>

G_DEFINE_QUARK (am - userstore - error - quark, am_userstore_error)

struct _AmUserStore {
	AmDb *db;
	char *digest;
	gboolean salted;
	gboolean case_insensitive;
	char *admin_user;
	char *admin_password;
	char *admin_role;
	char *everyone_role;
	gboolean add_admin;
	GRegex *username_re;
	GRegex *password_re;
};

/* The API-M roles and their permissions (APIUtil.create*Role, 2.x). */
static const struct {
	const char *role; /* hybrid role name, stored without "Internal/" */
	const char *const *permissions;
} apim_roles[] = {
	{ "subscriber",
	  (const char *const[]) { "/permission/admin/login", "/permission/admin/manage/api/subscribe",
				  NULL } },
	{ "publisher",
	  (const char *const[]) { "/permission/admin/login", "/permission/admin/manage/api/publish",
				  NULL } },
	{ "creator",
	  (const char *const[]) { "/permission/admin/login", "/permission/admin/manage/api/create",
				  "/permission/admin/configure/governance",
				  "/permission/admin/manage/resources/govern", NULL } },
};

static const char *const um_domains[] = { "PRIMARY", "SYSTEM", "INTERNAL", "APPLICATION", NULL };

/* ---- passwords ---- */

char *
am_password_hash (const char *digest, const char *password, const char *salt)
{
	g_autofree char *input = NULL;
	g_autofree char *trimmed = g_strstrip (g_strdup (password != NULL ? password : ""));
	GChecksumType type;
	guint8 buf[64];
	gsize len = sizeof buf;
	g_autoptr (GChecksum) sum = NULL;

	input = g_strconcat (trimmed, salt != NULL ? salt : "", NULL);
	if (digest == NULL || strcmp (digest, "PLAIN_TEXT") == 0)
		return g_steal_pointer (&input);
	if (strcmp (digest, "SHA-1") == 0)
		type = G_CHECKSUM_SHA1;
	else if (strcmp (digest, "SHA-512") == 0)
		type = G_CHECKSUM_SHA512;
	else if (strcmp (digest, "MD5") == 0)
		type = G_CHECKSUM_MD5;
	else
		type = G_CHECKSUM_SHA256;
	sum = g_checksum_new (type);
	g_checksum_update (sum, (const guchar *) input, strlen (input));
	g_checksum_get_digest (sum, buf, &len);
	OPENSSL_cleanse (input, strlen (input));
	return g_base64_encode (buf, len);
}

char *
am_password_new_salt (void)
{
	guint8 salt[16];

	if (RAND_bytes (salt, sizeof salt) != 1)
		g_error ("RAND_bytes failed: no randomness available");
	return g_base64_encode (salt, sizeof salt);
}

/* ---- small statement helpers: fmt letters 's' text, 'i' gint64 ---- */

static AmDbStmt *
us_stmt (AmDbConn *conn, const char *sql, GError **error, const char *fmt, ...)
{
	AmDbStmt *stmt = am_db_prepare (conn, sql, error);
	va_list ap;

	if (stmt == NULL)
		return NULL;
	va_start (ap, fmt);
	for (int i = 0; fmt[i] != '\0'; i++) {
		if (fmt[i] == 's')
			am_db_bind_text (stmt, i + 1, va_arg (ap, const char *));
		else
			am_db_bind_int64 (stmt, i + 1, va_arg (ap, gint64));
	}
	va_end (ap);
	return stmt;
}

/* Run @stmt to completion; TRUE on success. */
static gboolean
us_run (AmDbStmt *stmt, GError **error)
{
	AmDbStep s;

	if (stmt == NULL)
		return FALSE;
	while ((s = am_db_step (stmt, error)) == AM_DB_STEP_ROW)
		;
	return s == AM_DB_STEP_DONE;
}

/* First column of the first row as an id: >0 found, 0 none, -1 error. */
static gint64
us_first_id (AmDbStmt *stmt, GError **error)
{
	AmDbStep s;

	if (stmt == NULL)
		return -1;
	s = am_db_step (stmt, error);
	if (s == AM_DB_STEP_ERROR)
		return -1;
	return s == AM_DB_STEP_ROW ? am_db_column_int64 (stmt, 0) : 0;
}

/* "admin@carbon.super" -> "admin"; other tenants are not served. */
static char *
us_tenant_user (const char *username, GError **error)
{
	const char *at = username != NULL ? strrchr (username, '@') : NULL;

	if (username == NULL || *username == '\0') {
		g_set_error_literal (error, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_AUTH,
				     "empty user name");
		return NULL;
	}
	if (at == NULL)
		return g_strdup (username);
	if (g_ascii_strcasecmp (at + 1, AM_SUPER_TENANT_DOMAIN) == 0)
		return g_strndup (username, at - username);
	/* an e-mail style name without tenants is just a name */
	if (strchr (at + 1, '.') == NULL || at == username) {
		g_set_error (error, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_TENANT,
			     "invalid user name");
		return NULL;
	}
	g_set_error (error, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_TENANT,
		     "tenant '%s' is not served (only %s)", at + 1, AM_SUPER_TENANT_DOMAIN);
	return NULL;
}

static const char *
us_name_cmp (AmUserStore *us)
{
	return us->case_insensitive ? "LOWER(UM_USER_NAME)=LOWER(?)" : "UM_USER_NAME=?";
}

/* ---- construction ---- */

AmUserStore *
am_userstore_new (AmDb *db, const AmCoreConf *core)
{
	AmUserStore *us = g_new0 (AmUserStore, 1);

	us->db = am_db_ref (db);
	us->digest = g_strdup (core->password_digest);
	us->salted = core->store_salted_password;
	us->case_insensitive = core->case_insensitive_username;
	us->admin_user = g_strdup (core->admin_user);
	us->admin_password = g_strdup (core->admin_password);
	us->admin_role = g_strdup (core->admin_role);
	us->everyone_role = g_strdup (core->everyone_role);
	us->add_admin = core->add_admin;
	/* the table checked these patterns already compile */
	us->username_re = g_regex_new (core->username_regex, 0, 0, NULL);
	us->password_re = g_regex_new (core->password_regex, 0, 0, NULL);
	return us;
}

void
am_userstore_free (AmUserStore *us)
{
	if (us == NULL)
		return;
	am_db_unref (us->db);
	g_free (us->digest);
	g_free (us->admin_user);
	if (us->admin_password != NULL)
		OPENSSL_cleanse (us->admin_password, strlen (us->admin_password));
	g_free (us->admin_password);
	g_free (us->admin_role);
	g_free (us->everyone_role);
	g_clear_pointer (&us->username_re, g_regex_unref);
	g_clear_pointer (&us->password_re, g_regex_unref);
	g_free (us);
}

/* ---- lookups ---- */

static gint64
us_domain_id (AmDbConn *c, const char *domain, GError **error)
{
	g_autoptr (AmDbStmt) st = us_stmt (
		c, "SELECT UM_DOMAIN_ID FROM UM_DOMAIN WHERE UM_DOMAIN_NAME=? AND UM_TENANT_ID=?",
		error, "si", domain, (gint64) AM_SUPER_TENANT_ID);
	return us_first_id (st, error);
}

static gint64
us_user_id (AmUserStore *us, AmDbConn *c, const char *user, GError **error)
{
	g_autofree char *sql = g_strdup_printf ("SELECT UM_ID FROM UM_USER WHERE %s AND "
						"UM_TENANT_ID=?",
						us_name_cmp (us));
	g_autoptr (AmDbStmt) st = us_stmt (c, sql, error, "si", user, (gint64) AM_SUPER_TENANT_ID);
	return us_first_id (st, error);
}

static gint64
us_role_id (AmDbConn *c, gboolean hybrid, const char *role, GError **error)
{
	g_autoptr (AmDbStmt) st = us_stmt (
		c,
		hybrid ? "SELECT UM_ID FROM UM_HYBRID_ROLE WHERE UM_ROLE_NAME=? AND UM_TENANT_ID=?"
		       : "SELECT UM_ID FROM UM_ROLE WHERE UM_ROLE_NAME=? AND UM_TENANT_ID=?",
		error, "si", role, (gint64) AM_SUPER_TENANT_ID);
	return us_first_id (st, error);
}

/* ---- writes (inside the caller's transaction) ---- */

static gint64
us_insert (AmDbStmt *st, GError **error)
{
	if (!us_run (st, error))
		return -1;
	return am_db_last_insert_id (st);
}

static gint64
us_ensure_role (AmDbConn *c, gboolean hybrid, const char *role, GError **error)
{
	gint64 id = us_role_id (c, hybrid, role, error);
	g_autoptr (AmDbStmt) st = NULL;

	if (id != 0)
		return id;
	st = us_stmt (c,
		      hybrid ? "INSERT INTO UM_HYBRID_ROLE (UM_ROLE_NAME, UM_TENANT_ID) VALUES (?, ?)"
			     : "INSERT INTO UM_ROLE (UM_ROLE_NAME, UM_TENANT_ID, UM_SHARED_ROLE) "
			       "VALUES (?, ?, 0)",
		      error, "si", role, (gint64) AM_SUPER_TENANT_ID);
	g_message ("Created role %s%s", hybrid ? "Internal/" : "", role);
	return us_insert (st, error);
}

static gboolean
us_ensure_domains (AmDbConn *c, GError **error)
{
	for (guint i = 0; um_domains[i] != NULL; i++) {
		g_autoptr (AmDbStmt) st = NULL;
		gint64 id = us_domain_id (c, um_domains[i], error);
		if (id < 0)
			return FALSE;
		if (id > 0)
			continue;
		st = us_stmt (c, "INSERT INTO UM_DOMAIN (UM_DOMAIN_NAME, UM_TENANT_ID) VALUES (?, ?)",
			      error, "si", um_domains[i], (gint64) AM_SUPER_TENANT_ID);
		if (!us_run (st, error))
			return FALSE;
	}
	return TRUE;
}

/* Grant @resource (ui.execute) to @role of @domain, unless it is there. */
static gboolean
us_ensure_permission (AmDbConn *c, const char *role, const char *domain, const char *resource,
		      GError **error)
{
	g_autoptr (AmDbStmt) q = NULL;
	g_autoptr (AmDbStmt) ins = NULL;
	g_autoptr (AmDbStmt) grant = NULL;
	gint64 perm, dom, have;

	q = us_stmt (c, "SELECT UM_ID FROM UM_PERMISSION WHERE UM_RESOURCE_ID=? AND "
			"UM_ACTION='ui.execute' AND UM_TENANT_ID=?",
		     error, "si", resource, (gint64) AM_SUPER_TENANT_ID);
	perm = us_first_id (q, error);
	if (perm == 0) {
		ins = us_stmt (c, "INSERT INTO UM_PERMISSION (UM_RESOURCE_ID, UM_ACTION, "
				  "UM_TENANT_ID, UM_MODULE_ID) VALUES (?, 'ui.execute', ?, 0)",
			       error, "si", resource, (gint64) AM_SUPER_TENANT_ID);
		perm = us_insert (ins, error);
	}
	dom = us_domain_id (c, domain, error);
	if (perm <= 0 || dom <= 0)
		return FALSE;
	g_clear_pointer (&q, am_db_stmt_free);
	q = us_stmt (c, "SELECT UM_ID FROM UM_ROLE_PERMISSION WHERE UM_PERMISSION_ID=? AND "
			"UM_ROLE_NAME=? AND UM_TENANT_ID=? AND UM_DOMAIN_ID=?",
		     error, "isii", perm, role, (gint64) AM_SUPER_TENANT_ID, dom);
	have = us_first_id (q, error);
	if (have != 0)
		return have > 0;
	grant = us_stmt (c, "INSERT INTO UM_ROLE_PERMISSION (UM_PERMISSION_ID, UM_ROLE_NAME, "
			    "UM_IS_ALLOWED, UM_TENANT_ID, UM_DOMAIN_ID) VALUES (?, ?, 1, ?, ?)",
			 error, "isii", perm, role, (gint64) AM_SUPER_TENANT_ID, dom);
	return us_run (grant, error);
}

static gboolean
us_add_to_role (AmUserStore *us, AmDbConn *c, const char *user, gint64 user_id,
		const char *role, GError **error)
{
	gboolean hybrid = g_str_has_prefix (role, "Internal/") || g_str_has_prefix (role,
										      "Application/");
	const char *stored = g_str_has_prefix (role, "Internal/") ? role + 9 : role;
	gint64 role_id = us_role_id (c, hybrid, stored, error);
	g_autoptr (AmDbStmt) q = NULL;
	g_autoptr (AmDbStmt) ins = NULL;
	gint64 dom;

	if (role_id < 0)
		return FALSE;
	if (role_id == 0) {
		g_set_error (error, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_FAILED,
			     "role %s does not exist", role);
		return FALSE;
	}
	if (!hybrid) {
		q = us_stmt (c, "SELECT UM_ID FROM UM_USER_ROLE WHERE UM_ROLE_ID=? AND "
				"UM_USER_ID=? AND UM_TENANT_ID=?",
			     error, "iii", role_id, user_id, (gint64) AM_SUPER_TENANT_ID);
		if (us_first_id (q, error) != 0)
			return TRUE;
		ins = us_stmt (c, "INSERT INTO UM_USER_ROLE (UM_ROLE_ID, UM_USER_ID, UM_TENANT_ID) "
				  "VALUES (?, ?, ?)",
			       error, "iii", role_id, user_id, (gint64) AM_SUPER_TENANT_ID);
		return us_run (ins, error);
	}
	dom = us_domain_id (c, "PRIMARY", error);
	if (dom <= 0)
		return FALSE;
	q = us_stmt (c, "SELECT UM_ID FROM UM_HYBRID_USER_ROLE WHERE UM_USER_NAME=? AND "
			"UM_ROLE_ID=? AND UM_TENANT_ID=? AND UM_DOMAIN_ID=?",
		     error, "siii", user, role_id, (gint64) AM_SUPER_TENANT_ID, dom);
	if (us_first_id (q, error) != 0)
		return TRUE;
	ins = us_stmt (c, "INSERT INTO UM_HYBRID_USER_ROLE (UM_USER_NAME, UM_ROLE_ID, "
			  "UM_TENANT_ID, UM_DOMAIN_ID) VALUES (?, ?, ?, ?)",
		       error, "siii", user, role_id, (gint64) AM_SUPER_TENANT_ID, dom);
	return us_run (ins, error);
}

static gint64
us_insert_user (AmUserStore *us, AmDbConn *c, const char *user, const char *password,
		GError **error)
{
	g_autofree char *salt = us->salted ? am_password_new_salt () : NULL;
	g_autofree char *hash = am_password_hash (us->digest, password, salt);
	g_autoptr (AmDbStmt) st = us_stmt (
		c,
		"INSERT INTO UM_USER (UM_USER_NAME, UM_USER_PASSWORD, UM_SALT_VALUE, "
		"UM_REQUIRE_CHANGE, UM_CHANGED_TIME, UM_TENANT_ID) VALUES (?, ?, ?, 0, ?, ?)",
		error, "sss", user, hash, salt);

	if (st == NULL)
		return -1;
	am_db_bind_timestamp (st, 4, g_get_real_time ());
	am_db_bind_int64 (st, 5, AM_SUPER_TENANT_ID);
	OPENSSL_cleanse (hash, strlen (hash));
	return us_insert (st, error);
}

/* Run @func inside a transaction on a pooled connection. */
typedef gboolean (*UsTxnFunc) (AmUserStore *us, AmDbConn *c, gpointer data, GError **error);

static gboolean
us_transaction (AmUserStore *us, UsTxnFunc func, gpointer data, GError **error)
{
	g_autoptr (AmDbConn) c = am_db_acquire (us->db, error);

	if (c == NULL || !am_db_begin (c, error))
		return FALSE;
	if (!func (us, c, data, error)) {
		am_db_rollback (c, NULL);
		return FALSE;
	}
	return am_db_commit (c, error);
}

static gboolean
us_ensure_admin_txn (AmUserStore *us, AmDbConn *c, gpointer data, GError **error)
{
	gint64 uid;

	if (!us_ensure_domains (c, error) || us_ensure_role (c, FALSE, us->admin_role, error) < 0 ||
	    us_ensure_role (c, TRUE, us->everyone_role, error) < 0 ||
	    !us_ensure_permission (c, us->admin_role, "PRIMARY", "/permission", error))
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS (apim_roles); i++) {
		if (us_ensure_role (c, TRUE, apim_roles[i].role, error) < 0)
			return FALSE;
		for (guint p = 0; apim_roles[i].permissions[p] != NULL; p++) {
			if (!us_ensure_permission (c, apim_roles[i].role, "INTERNAL",
						   apim_roles[i].permissions[p], error))
				return FALSE;
		}
	}
	if (!us->add_admin)
		return TRUE;
	uid = us_user_id (us, c, us->admin_user, error);
	if (uid < 0)
		return FALSE;
	if (uid == 0) {
		uid = us_insert_user (us, c, us->admin_user, us->admin_password, error);
		if (uid < 0)
			return FALSE;
		g_message ("Created the admin user '%s'", us->admin_user);
	}
	if (!us_add_to_role (us, c, us->admin_user, uid, us->admin_role, error))
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS (apim_roles); i++) {
		g_autofree char *r = g_strconcat ("Internal/", apim_roles[i].role, NULL);
		if (!us_add_to_role (us, c, us->admin_user, uid, r, error))
			return FALSE;
	}
	return TRUE;
}

gboolean
am_userstore_ensure_admin (AmUserStore *us, GError **error)
{
	return us_transaction (us, us_ensure_admin_txn, NULL, error);
}

/* ---- authentication ---- */

static gboolean
us_require_change_expired (const char *require, const char *changed)
{
	g_autoptr (GDateTime) when = NULL;
	g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
	g_autofree char *iso = NULL;

	if (require == NULL || (strcmp (require, "1") != 0 && g_ascii_strcasecmp (require,
										   "true") != 0))
		return FALSE;
	if (changed == NULL)
		return TRUE;
	iso = g_strdup (changed);
	if (strlen (iso) > 10)
		iso[10] = 'T';
	when = g_date_time_new_from_iso8601 (iso, utc);
	return when == NULL || g_get_real_time () - g_date_time_to_unix (when) * G_USEC_PER_SEC >
				       24 * G_TIME_SPAN_HOUR;
}

gboolean
am_userstore_authenticate (AmUserStore *us, const char *username, const char *password,
			   GError **error)
{
	g_autofree char *user = us_tenant_user (username, error);
	g_autofree char *sql = NULL;
	g_autofree char *hash = NULL;
	g_autoptr (AmDbConn) c = NULL;
	g_autoptr (AmDbStmt) st = NULL;
	const char *stored;
	AmDbStep s;
	gboolean ok;

	if (user == NULL)
		return FALSE;
	c = am_db_acquire_reader (us->db, error);
	if (c == NULL)
		return FALSE;
	sql = g_strdup_printf ("SELECT UM_USER_PASSWORD, UM_SALT_VALUE, UM_REQUIRE_CHANGE, "
			       "UM_CHANGED_TIME FROM UM_USER WHERE %s AND UM_TENANT_ID=?",
			       us_name_cmp (us));
	st = us_stmt (c, sql, error, "si", user, (gint64) AM_SUPER_TENANT_ID);
	if (st == NULL || (s = am_db_step (st, error)) == AM_DB_STEP_ERROR)
		return FALSE;
	/* hash anyway when the user is unknown, so timing does not tell */
	hash = am_password_hash (us->digest, password,
				 s == AM_DB_STEP_ROW ? am_db_column_text (st, 1) : "");
	stored = s == AM_DB_STEP_ROW ? am_db_column_text (st, 0) : NULL;
	ok = stored != NULL && strlen (stored) == strlen (hash) &&
	     CRYPTO_memcmp (stored, hash, strlen (hash)) == 0 &&
	     !us_require_change_expired (am_db_column_text (st, 2), am_db_column_text (st, 3));
	OPENSSL_cleanse (hash, strlen (hash));
	if (!ok)
		g_set_error (error, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_AUTH,
			     "authentication failed for user '%s'", user);
	return ok;
}

typedef struct {
	AmUserStore *us;
	char *username;
	char *password;
} UsAuthJob;

static void
us_auth_job_free (gpointer data)
{
	UsAuthJob *job = data;

	if (job->password != NULL)
		OPENSSL_cleanse (job->password, strlen (job->password));
	g_free (job->password);
	g_free (job->username);
	g_free (job);
}

static void
us_auth_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
	UsAuthJob *job = data;
	GError *error = NULL;

	if (am_userstore_authenticate (job->us, job->username, job->password, &error))
		g_task_return_boolean (task, TRUE);
	else
		g_task_return_error (task, error);
}

/* The store must outlive the call (it lives as long as the server). */
void
am_userstore_authenticate_async (AmUserStore *us, const char *username, const char *password,
				 GCancellable *cancellable, GAsyncReadyCallback callback,
				 gpointer user_data)
{
	g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
	UsAuthJob *job = g_new0 (UsAuthJob, 1);

	job->us = us;
	job->username = g_strdup (username);
	job->password = g_strdup (password);
	g_task_set_task_data (task, job, us_auth_job_free);
	g_task_run_in_thread (task, us_auth_thread);
}

gboolean
am_userstore_authenticate_finish (AmUserStore *us, GAsyncResult *result, GError **error)
{
	return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- roles and permissions ---- */

static gboolean
us_collect (AmDbStmt *st, const char *prefix, GPtrArray *out, GError **error)
{
	AmDbStep s;

	if (st == NULL)
		return FALSE;
	while ((s = am_db_step (st, error)) == AM_DB_STEP_ROW) {
		const char *name = am_db_column_text (st, 0);
		if (name == NULL)
			continue;
		/* Application/<sp> roles keep their prefix in the table */
		if (prefix != NULL && strchr (name, '/') == NULL)
			g_ptr_array_add (out, g_strconcat (prefix, name, NULL));
		else
			g_ptr_array_add (out, g_strdup (name));
	}
	return s == AM_DB_STEP_DONE;
}

char **
am_userstore_get_roles (AmUserStore *us, const char *username, GError **error)
{
	g_autofree char *user = us_tenant_user (username, error);
	g_autoptr (GPtrArray) roles = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (AmDbConn) c = NULL;
	g_autoptr (AmDbStmt) primary = NULL;
	g_autoptr (AmDbStmt) hybrid = NULL;
	g_autofree char *sql_p = NULL;
	g_autofree char *sql_h = NULL;
	g_autofree char *everyone = NULL;
	const gint64 t = AM_SUPER_TENANT_ID;

	if (user == NULL || (c = am_db_acquire_reader (us->db, error)) == NULL)
		return NULL;
	sql_p = g_strdup_printf (
		"SELECT UM_ROLE_NAME FROM UM_USER_ROLE, UM_ROLE, UM_USER WHERE %s AND "
		"UM_USER.UM_ID=UM_USER_ROLE.UM_USER_ID AND UM_ROLE.UM_ID=UM_USER_ROLE.UM_ROLE_ID "
		"AND UM_USER_ROLE.UM_TENANT_ID=? AND UM_ROLE.UM_TENANT_ID=? AND "
		"UM_USER.UM_TENANT_ID=? ORDER BY UM_ROLE_NAME",
		us->case_insensitive ? "LOWER(UM_USER.UM_USER_NAME)=LOWER(?)"
				     : "UM_USER.UM_USER_NAME=?");
	primary = us_stmt (c, sql_p, error, "siii", user, t, t, t);
	if (!us_collect (primary, NULL, roles, error))
		return NULL;
	sql_h = g_strdup_printf (
		"SELECT UM_ROLE_NAME FROM UM_HYBRID_USER_ROLE, UM_HYBRID_ROLE WHERE %s AND "
		"UM_HYBRID_USER_ROLE.UM_ROLE_ID=UM_HYBRID_ROLE.UM_ID AND "
		"UM_HYBRID_USER_ROLE.UM_TENANT_ID=? AND UM_HYBRID_ROLE.UM_TENANT_ID=? AND "
		"UM_HYBRID_USER_ROLE.UM_DOMAIN_ID=(SELECT UM_DOMAIN_ID FROM UM_DOMAIN WHERE "
		"UM_TENANT_ID=? AND UM_DOMAIN_NAME=?) ORDER BY UM_ROLE_NAME",
		us->case_insensitive ? "LOWER(UM_USER_NAME)=LOWER(?)" : "UM_USER_NAME=?");
	hybrid = us_stmt (c, sql_h, error, "siiis", user, t, t, t, "PRIMARY");
	if (!us_collect (hybrid, "Internal/", roles, error))
		return NULL;
	if (roles->len == 0 && us_user_id (us, c, user, NULL) == 0) {
		g_set_error (error, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_NO_USER,
			     "no user '%s'", user);
		return NULL;
	}
	everyone = g_strconcat ("Internal/", us->everyone_role, NULL);
	if (!g_ptr_array_find_with_equal_func (roles, everyone, g_str_equal, NULL))
		g_ptr_array_add (roles, g_steal_pointer (&everyone));
	g_ptr_array_add (roles, NULL);
	return (char **) g_ptr_array_free (g_steal_pointer (&roles), FALSE);
}

gboolean
am_userstore_user_exists (AmUserStore *us, const char *username, GError **error)
{
	g_autofree char *user = us_tenant_user (username, error);
	g_autoptr (AmDbConn) c = NULL;

	if (user == NULL || (c = am_db_acquire_reader (us->db, error)) == NULL)
		return FALSE;
	return us_user_id (us, c, user, error) > 0;
}

typedef struct {
	const char *user;
	const char *password;
	const char *const *roles;
} UsAddUser;

static gboolean
us_add_user_txn (AmUserStore *us, AmDbConn *c, gpointer data, GError **error)
{
	UsAddUser *a = data;
	gint64 uid = us_user_id (us, c, a->user, error);

	if (uid < 0)
		return FALSE;
	if (uid > 0) {
		g_set_error (error, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_EXISTS,
			     "user '%s' already exists", a->user);
		return FALSE;
	}
	uid = us_insert_user (us, c, a->user, a->password, error);
	if (uid < 0)
		return FALSE;
	for (guint i = 0; a->roles != NULL && a->roles[i] != NULL; i++) {
		if (!us_add_to_role (us, c, a->user, uid, a->roles[i], error))
			return FALSE;
	}
	return TRUE;
}

gboolean
am_userstore_add_user (AmUserStore *us, const char *username, const char *password,
		       const char *const *roles, GError **error)
{
	g_autofree char *user = us_tenant_user (username, error);
	UsAddUser a = { user, password, roles };

	if (user == NULL)
		return FALSE;
	if (us->username_re != NULL && !g_regex_match (us->username_re, user, 0, NULL)) {
		g_set_error_literal (error, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_POLICY,
				     "Username pattern policy violated");
		return FALSE;
	}
	if (password == NULL ||
	    (us->password_re != NULL && !g_regex_match (us->password_re, password, 0, NULL))) {
		g_set_error_literal (error, AM_USERSTORE_ERROR, AM_USERSTORE_ERROR_POLICY,
				     "Password pattern policy violated");
		return FALSE;
	}
	return us_transaction (us, us_add_user_txn, &a, error);
}

static gboolean
us_permission_covers (const char *granted, const char *wanted)
{
	gsize n = strlen (granted);

	/* Carbon's permission tree: a grant on a path covers its subtree */
	return g_ascii_strncasecmp (granted, wanted, n) == 0 &&
	       (wanted[n] == '\0' || wanted[n] == '/' || (n > 0 && granted[n - 1] == '/'));
}

gboolean
am_userstore_is_authorized (AmUserStore *us, const char *username, const char *permission,
			    GError **error)
{
	g_auto (GStrv) roles = am_userstore_get_roles (us, username, error);
	g_autoptr (AmDbConn) c = NULL;
	const gint64 t = AM_SUPER_TENANT_ID;

	if (roles == NULL || (c = am_db_acquire_reader (us->db, error)) == NULL)
		return FALSE;
	for (guint i = 0; roles[i] != NULL; i++) {
		gboolean internal = g_str_has_prefix (roles[i], "Internal/");
		const char *name = internal ? roles[i] + 9 : roles[i];
		g_autoptr (AmDbStmt) st = us_stmt (
			c,
			"SELECT P.UM_RESOURCE_ID FROM UM_PERMISSION P, UM_ROLE_PERMISSION RP, "
			"UM_DOMAIN D WHERE RP.UM_PERMISSION_ID=P.UM_ID AND "
			"RP.UM_DOMAIN_ID=D.UM_DOMAIN_ID AND P.UM_TENANT_ID=? AND "
			"RP.UM_TENANT_ID=? AND D.UM_TENANT_ID=? AND RP.UM_ROLE_NAME=? AND "
			"D.UM_DOMAIN_NAME=? AND RP.UM_IS_ALLOWED=1 AND P.UM_ACTION='ui.execute'",
			error, "iiiss", t, t, t, name, internal ? "INTERNAL" : "PRIMARY");
		AmDbStep s;

		if (st == NULL)
			return FALSE;
		while ((s = am_db_step (st, error)) == AM_DB_STEP_ROW) {
			const char *granted = am_db_column_text (st, 0);
			if (granted != NULL && us_permission_covers (granted, permission))
				return TRUE;
		}
		if (s == AM_DB_STEP_ERROR)
			return FALSE;
	}
	return FALSE;
}

