/* SPDX-License-Identifier: Apache-2.0 */
/*
 * API storage shared by the Publisher and the Store (am-api-store.h): the
 * registry artifact, swagger.json, lifecycle properties and tags through
 * am-registry, and the apimgtdb rows carbon-apimgt's ApiMgtDAO writes for
 * an API (2.6 SQLConstants; 2.1 where the scope tables differ):
 *
 *   AM_API (API_PROVIDER with "@", CONTEXT with the version,
 *     CONTEXT_TEMPLATE without a trailing "/{version}", API_TIER = the
 *     API-level policy, CREATED_BY/CREATED_TIME, UPDATED_BY/UPDATED_TIME)
 *   AM_API_URL_MAPPING, one row per verb (THROTTLING_TIER = the API-level
 *     policy when there is one, else the resource's)
 *   AM_API_LC_EVENT, (NULL -> CREATED) on create and one per change
 *   AM_API_DEFAULT_VERSION for default versions
 *   IDN_OAUTH2_SCOPE (2.6 NAME/DISPLAY_NAME + IDN_OAUTH2_SCOPE_BINDING rows;
 *     2.1 SCOPE_KEY/NAME + ROLES comma-joined), AM_API_SCOPES, and
 *     IDN_OAUTH2_RESOURCE_SCOPE keyed by APIUtil.getResourceKey:
 *     CONTEXT + "/" + version + pattern + ":" + verb
 *
 * The scope schema is detected (IDN_OAUTH2_SCOPE.SCOPE_KEY = 2.1) the way
 * the Key Manager does, never altered.  The artifact also gets the
 * registry properties APIProviderImpl leaves on it: registry.LC.name =
 * APILifeCycle, registry.lifecycle.APILifeCycle.state in title case and
 * resource.source = remote, and the provider collection gets a "provides"
 * association to it.  Times are written in UTC.
 */
#define G_LOG_DOMAIN "am.apimgt.api"
#include "config.h"

#include <string.h>

#include "am-api-store.h"

G_DEFINE_QUARK (am-api-store-error-quark, am_api_store_error)

#define API_ROOT AM_REGISTRY_GOVERNANCE_ROOT "/apimgt/applicationdata/provider"
#define LC_NAME_PROP "registry.LC.name"
#define LC_STATE_PROP "registry.lifecycle." AM_API_LIFECYCLE ".state"

struct _AmApiStore {
	const AmRegistry *reg;
	int tenant_id;
	gint scope_schema; /* 0 unknown, 21, 26 */
};

static const char *const api_states[] = { "CREATED",	"PROTOTYPED", "PUBLISHED",
					  "BLOCKED",	"DEPRECATED", "RETIRED", NULL };

AmApiStore *
am_api_store_new (const AmRegistry *registry)
{
	AmApiStore *store = g_new0 (AmApiStore, 1);

	store->reg = registry;
	store->tenant_id = am_registry_get_tenant_id (registry);
	return store;
}

void
am_api_store_free (AmApiStore *store)
{
	g_free (store);
}

char *
am_api_store_artifact_path (const char *provider, const char *name, const char *version)
{
	g_autofree char *p = am_api_provider_to_registry (provider);

	return g_strdup_printf (API_ROOT "/%s/%s/%s/api", p, name, version);
}

static char *
api_dir (const char *artifact_path)
{
	return g_path_get_dirname (artifact_path);
}

/* "PUBLISHED" -> "Published" (the APILifeCycle state names). */
static char *
api_title_case (const char *status)
{
	char *s = g_ascii_strdown (status, -1);

	s[0] = g_ascii_toupper (s[0]);
	return s;
}

static gboolean
api_scope_schema_26 (AmApiStore *store, AmDbConn *am, gboolean *v26, GError **error)
{
	gint s = g_atomic_int_get (&store->scope_schema);
	GError *local = NULL;

	if (s == 0) {
		gboolean old = am_db_column_exists (am, "IDN_OAUTH2_SCOPE", "SCOPE_KEY", &local);
		if (local != NULL) {
			g_propagate_error (error, local);
			return FALSE;
		}
		s = old ? 21 : 26;
		g_atomic_int_set (&store->scope_schema, s);
	}
	*v26 = s == 26;
	return TRUE;
}

/* ---- small SQL helpers ---------------------------------------------------- */

static gboolean
api_exec (AmDbConn *conn, GError **error, const char *sql, const char *fmt, ...)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (conn, sql, error);
	va_list ap;

	if (st == NULL)
		return FALSE;
	va_start (ap, fmt);
	for (int i = 0; fmt[i] != '\0'; i++) {
		if (fmt[i] == 's')
			am_db_bind_text (st, i + 1, va_arg (ap, const char *));
		else if (fmt[i] == 'i')
			am_db_bind_int64 (st, i + 1, va_arg (ap, gint64));
		else
			am_db_bind_timestamp (st, i + 1, va_arg (ap, gint64));
	}
	va_end (ap);
	return am_db_step (st, error) != AM_DB_STEP_ERROR;
}

static void
api_rollback (AmDbConn *reg, AmDbConn *am)
{
	am_db_rollback (reg, NULL);
	if (am != reg)
		am_db_rollback (am, NULL);
}

static gboolean
api_commit (AmDbConn *reg, AmDbConn *am, GError **error)
{
	if (!am_db_commit (reg, error)) {
		api_rollback (reg, am);
		return FALSE;
	}
	return am == reg || am_db_commit (am, error);
}

/* ---- validation and normalisation ---------------------------------------- */

static gboolean
api_blank (const char *s)
{
	return s == NULL || *s == '\0';
}

/* Check the identity fields and fill context / context_template from
 * each other as the Publisher does ("/pizzashack" -> template
 * "/pizzashack/{version}", context "/pizzashack/1.0.0"). */
static gboolean
api_normalise (AmApi *api, GError **error)
{
	const char *bad = NULL;

	if (api_blank (api->provider))
		bad = "provider";
	else if (api_blank (api->name))
		bad = "name";
	else if (api_blank (api->version))
		bad = "version";
	else if (api_blank (api->context) && api_blank (api->context_template))
		bad = "context";
	if (bad != NULL) {
		g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_INVALID,
			     "the API has no %s", bad);
		return FALSE;
	}
	if (strpbrk (api->name, "/\\:*?\"<>|") != NULL || strpbrk (api->version, "/\\:*?\"<>|") ||
	    strchr (api->provider, '/') != NULL || strcmp (api->name, ".") == 0 ||
	    strcmp (api->name, "..") == 0 || strcmp (api->version, ".") == 0 ||
	    strcmp (api->version, "..") == 0) {
		g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_INVALID,
			     "API name '%s' or version '%s' has characters a registry path cannot "
			     "hold",
			     api->name, api->version);
		return FALSE;
	}
	if (api_blank (api->context_template)) {
		g_autofree char *suffix = g_strconcat ("/", api->version, NULL);
		g_autofree char *base = g_strdup (api->context);

		if (strstr (base, "{version}") == NULL && g_str_has_suffix (base, suffix) &&
		    strlen (base) > strlen (suffix))
			base[strlen (base) - strlen (suffix)] = '\0';
		g_free (api->context_template);
		api->context_template = strstr (base, "{version}") != NULL
						? g_strdup (base)
						: g_strconcat (base, "/{version}", NULL);
	}
	{
		g_auto (GStrv) parts = g_strsplit (api->context_template, "{version}", -1);
		g_free (api->context);
		api->context = g_strjoinv (api->version, parts);
	}
	if (api->context[0] != '/' || strstr (api->context, "//") != NULL ||
	    strpbrk (api->context, " ?#") != NULL) {
		g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_INVALID,
			     "invalid API context '%s'", api->context);
		return FALSE;
	}
	if (g_strcmp0 (api->context_template, "/{version}") == 0) {
		g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_INVALID,
			     "API %s has an unsupported context %s", api->name,
			     api->context_template);
		return FALSE;
	}
	for (guint i = 0; api->operations != NULL && i < api->operations->len; i++) {
		const AmApiOperation *op = api->operations->pdata[i];
		if (api_blank (op->url_pattern) || op->url_pattern[0] != '/' ||
		    api_blank (op->http_method)) {
			g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_INVALID,
				     "API resource %u needs a URL pattern starting with '/' and an "
				     "HTTP verb",
				     i);
			return FALSE;
		}
	}
	return TRUE;
}

/* AM_API.CONTEXT_TEMPLATE: the template without a trailing "/{version}". */
static char *
api_db_context_template (const char *tmpl)
{
	return g_str_has_suffix (tmpl, "/{version}")
		       ? g_strndup (tmpl, strlen (tmpl) - strlen ("/{version}"))
		       : g_strdup (tmpl);
}

/* ---- apimgtdb rows -------------------------------------------------------- */

/* AM_API.API_ID of provider/name/version, 0 when there is none. */
static gboolean
api_db_id (AmDbConn *am, const char *provider, const char *name, const char *version, gint64 *id,
	   GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (
		am,
		"SELECT API_ID FROM AM_API WHERE API_PROVIDER = ? AND API_NAME = ? AND API_VERSION = ?",
		error);
	AmDbStep step;

	*id = 0;
	if (st == NULL)
		return FALSE;
	am_db_bind_text (st, 1, provider);
	am_db_bind_text (st, 2, name);
	am_db_bind_text (st, 3, version);
	step = am_db_step (st, error);
	if (step == AM_DB_STEP_ROW)
		*id = am_db_column_int64 (st, 0);
	return step != AM_DB_STEP_ERROR;
}

/* Another API (not @self_id) with this context, or with this context
 * template under another provider/name. */
static gboolean
api_check_context (AmDbConn *am, const AmApi *api, gint64 self_id, GError **error)
{
	g_autofree char *tmpl = api_db_context_template (api->context_template);
	g_autoptr (AmDbStmt) st = am_db_prepare (
		am,
		"SELECT API_PROVIDER, API_NAME, API_VERSION FROM AM_API WHERE API_ID <> ? AND "
		"(CONTEXT = ? OR (CONTEXT_TEMPLATE = ? AND (API_PROVIDER <> ? OR API_NAME <> ?)))",
		error);
	AmDbStep step;

	if (st == NULL)
		return FALSE;
	am_db_bind_int64 (st, 1, self_id);
	am_db_bind_text (st, 2, api->context);
	am_db_bind_text (st, 3, tmpl);
	am_db_bind_text (st, 4, api->provider);
	am_db_bind_text (st, 5, api->name);
	step = am_db_step (st, error);
	if (step == AM_DB_STEP_ROW) {
		g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_CONTEXT_EXISTS,
			     "the context %s is already used by API %s-%s-%s", api->context,
			     am_db_column_text (st, 0), am_db_column_text (st, 1),
			     am_db_column_text (st, 2));
		return FALSE;
	}
	return step != AM_DB_STEP_ERROR;
}

/* A scope key of @api that another API (other provider or name) owns. */
static gboolean
api_check_scopes (AmApiStore *store, AmDbConn *am, const AmApi *api, gboolean v26,
		  GError **error)
{
	g_autofree char *sql = g_strdup_printf (
		"SELECT A.API_NAME, A.API_PROVIDER FROM IDN_OAUTH2_SCOPE S, AM_API_SCOPES X, AM_API A "
		"WHERE S.%s = ? AND S.TENANT_ID = ? AND X.SCOPE_ID = S.SCOPE_ID AND "
		"A.API_ID = X.API_ID AND (A.API_PROVIDER <> ? OR A.API_NAME <> ?)",
		v26 ? "NAME" : "SCOPE_KEY");

	for (guint i = 0; api->scopes != NULL && i < api->scopes->len; i++) {
		const AmApiScope *sc = api->scopes->pdata[i];
		g_autoptr (AmDbStmt) st = am_db_prepare (am, sql, error);
		AmDbStep step;

		if (st == NULL)
			return FALSE;
		if (api_blank (sc->key)) {
			g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_INVALID,
				     "an API scope has no key");
			return FALSE;
		}
		am_db_bind_text (st, 1, sc->key);
		am_db_bind_int64 (st, 2, store->tenant_id);
		am_db_bind_text (st, 3, api->provider);
		am_db_bind_text (st, 4, api->name);
		step = am_db_step (st, error);
		if (step == AM_DB_STEP_ROW) {
			g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_SCOPE_EXISTS,
				     "the scope %s is already assigned to API %s of %s", sc->key,
				     am_db_column_text (st, 0), am_db_column_text (st, 1));
			return FALSE;
		}
		if (step == AM_DB_STEP_ERROR)
			return FALSE;
	}
	return TRUE;
}

static gboolean
api_write_url_mappings (AmDbConn *am, const AmApi *api, gint64 id, GError **error)
{
	for (guint i = 0; api->operations != NULL && i < api->operations->len; i++) {
		const AmApiOperation *op = api->operations->pdata[i];
		const char *tier = !api_blank (api->api_level_policy) ? api->api_level_policy
				   : !api_blank (op->throttling_tier) ? op->throttling_tier
								      : "Unlimited";
		g_autofree char *verb = g_ascii_strup (op->http_method, -1);

		if (!api_exec (am, error,
			       "INSERT INTO AM_API_URL_MAPPING (API_ID, HTTP_METHOD, AUTH_SCHEME, "
			       "URL_PATTERN, THROTTLING_TIER, MEDIATION_SCRIPT) VALUES (?, ?, ?, ?, ?, "
			       "NULL)",
			       "issss", id, verb, am_api_auth_type_to_string (op->auth_type),
			       op->url_pattern, tier))
			return FALSE;
	}
	return TRUE;
}

/* The API's scopes and resource scopes: rows removed (@remove) or written. */
static gboolean
api_delete_scopes (AmApiStore *store, AmDbConn *am, gint64 id, gboolean v26, GError **error)
{
	g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
	g_autoptr (AmDbStmt) st =
		am_db_prepare (am, "SELECT SCOPE_ID FROM AM_API_SCOPES WHERE API_ID = ?", error);
	AmDbStep step;

	if (st == NULL)
		return FALSE;
	am_db_bind_int64 (st, 1, id);
	while ((step = am_db_step (st, error)) == AM_DB_STEP_ROW) {
		gint64 sid = am_db_column_int64 (st, 0);
		g_array_append_val (ids, sid);
	}
	if (step == AM_DB_STEP_ERROR ||
	    !api_exec (am, error, "DELETE FROM AM_API_SCOPES WHERE API_ID = ?", "i", id))
		return FALSE;
	for (guint i = 0; i < ids->len; i++) {
		gint64 sid = g_array_index (ids, gint64, i);

		if (!api_exec (am, error, "DELETE FROM IDN_OAUTH2_RESOURCE_SCOPE WHERE SCOPE_ID = ?",
			       "i", sid) ||
		    (v26 && !api_exec (am, error,
				       "DELETE FROM IDN_OAUTH2_SCOPE_BINDING WHERE SCOPE_ID = ?", "i",
				       sid)) ||
		    !api_exec (am, error,
			       "DELETE FROM IDN_OAUTH2_SCOPE WHERE SCOPE_ID = ? AND TENANT_ID = ?",
			       "ii", sid, (gint64) store->tenant_id))
			return FALSE;
	}
	return TRUE;
}

static gboolean
api_write_scopes (AmApiStore *store, AmDbConn *am, const AmApi *api, gint64 id, gboolean v26,
		  GError **error)
{
	g_autoptr (GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

	for (guint i = 0; api->scopes != NULL && i < api->scopes->len; i++) {
		const AmApiScope *sc = api->scopes->pdata[i];
		g_autoptr (AmDbStmt) st = NULL;
		g_autofree char *roles = sc->roles != NULL ? g_strjoinv (",", sc->roles) : NULL;
		const char *display = !api_blank (sc->name) ? sc->name : sc->key;
		gint64 sid;

		if (g_hash_table_contains (ids, sc->key))
			continue;
		st = am_db_prepare (am,
				    v26 ? "INSERT INTO IDN_OAUTH2_SCOPE (NAME, DISPLAY_NAME, "
					  "DESCRIPTION, TENANT_ID) VALUES (?, ?, ?, ?)"
					: "INSERT INTO IDN_OAUTH2_SCOPE (SCOPE_KEY, NAME, DESCRIPTION, "
					  "TENANT_ID, ROLES) VALUES (?, ?, ?, ?, ?)",
				    error);
		if (st == NULL)
			return FALSE;
		am_db_bind_text (st, 1, sc->key);
		am_db_bind_text (st, 2, display);
		am_db_bind_text (st, 3, sc->description);
		am_db_bind_int64 (st, 4, store->tenant_id);
		if (!v26)
			am_db_bind_text (st, 5, roles != NULL ? roles : "");
		if (am_db_step (st, error) == AM_DB_STEP_ERROR)
			return FALSE;
		sid = am_db_last_insert_id (st);
		g_hash_table_insert (ids, sc->key, g_memdup2 (&sid, sizeof sid));
		for (guint r = 0; v26 && sc->roles != NULL && sc->roles[r] != NULL; r++)
			if (!api_exec (am, error,
				       "INSERT INTO IDN_OAUTH2_SCOPE_BINDING (SCOPE_ID, SCOPE_BINDING) "
				       "VALUES (?, ?)",
				       "is", sid, sc->roles[r]))
				return FALSE;
		if (!api_exec (am, error, "INSERT INTO AM_API_SCOPES (API_ID, SCOPE_ID) VALUES (?, ?)",
			       "ii", id, sid))
			return FALSE;
	}
	for (guint i = 0; api->operations != NULL && i < api->operations->len; i++) {
		const AmApiOperation *op = api->operations->pdata[i];
		gint64 *sid;
		g_autofree char *verb = NULL;
		g_autofree char *key = NULL;

		if (api_blank (op->scope))
			continue;
		sid = g_hash_table_lookup (ids, op->scope);
		if (sid == NULL) {
			g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_INVALID,
				     "resource %s %s uses scope %s that the API does not define",
				     op->http_method, op->url_pattern, op->scope);
			return FALSE;
		}
		verb = g_ascii_strup (op->http_method, -1);
		/* APIUtil.getResourceKey */
		key = g_strdup_printf ("%s/%s%s:%s", api->context, api->version, op->url_pattern,
				       verb);
		if (!api_exec (am, error,
			       "INSERT INTO IDN_OAUTH2_RESOURCE_SCOPE (RESOURCE_PATH, SCOPE_ID, "
			       "TENANT_ID) VALUES (?, ?, ?)",
			       "sii", key, *sid, (gint64) store->tenant_id))
			return FALSE;
	}
	return TRUE;
}

static gboolean
api_lc_event (AmApiStore *store, AmDbConn *am, gint64 id, const char *from, const char *to,
	      const char *user, GError **error)
{
	return api_exec (am, error,
			 "INSERT INTO AM_API_LC_EVENT (API_ID, PREVIOUS_STATE, NEW_STATE, USER_ID, "
			 "TENANT_ID, EVENT_DATE) VALUES (?, ?, ?, ?, ?, ?)",
			 "isssit", id, from, to, user, (gint64) store->tenant_id, g_get_real_time ());
}

/* AM_API_DEFAULT_VERSION for @api after a create/update/status change. */
static gboolean
api_default_version (AmDbConn *am, const AmApi *api, GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (
		am,
		"SELECT DEFAULT_API_VERSION, PUBLISHED_DEFAULT_API_VERSION FROM AM_API_DEFAULT_VERSION "
		"WHERE API_NAME = ? AND API_PROVIDER = ?",
		error);
	g_autofree char *current = NULL;
	g_autofree char *published = NULL;
	AmDbStep step;

	if (st == NULL)
		return FALSE;
	am_db_bind_text (st, 1, api->name);
	am_db_bind_text (st, 2, api->provider);
	step = am_db_step (st, error);
	if (step == AM_DB_STEP_ERROR)
		return FALSE;
	if (step == AM_DB_STEP_ROW) {
		current = g_strdup (am_db_column_text (st, 0));
		published = g_strdup (am_db_column_text (st, 1));
	}
	g_clear_pointer (&st, am_db_stmt_free);
	if (!api->is_default_version) {
		/* no longer the default: the row goes when it names this version */
		if (g_strcmp0 (current, api->version) != 0)
			return TRUE;
		return api_exec (am, error,
				 "DELETE FROM AM_API_DEFAULT_VERSION WHERE API_NAME = ? AND "
				 "API_PROVIDER = ?",
				 "ss", api->name, api->provider);
	}
	if (g_strcmp0 (api->status, "PUBLISHED") == 0) {
		g_free (published);
		published = g_strdup (api->version);
	}
	return api_exec (am, error,
			 "DELETE FROM AM_API_DEFAULT_VERSION WHERE API_NAME = ? AND API_PROVIDER = ?",
			 "ss", api->name, api->provider) &&
	       api_exec (am, error,
			 "INSERT INTO AM_API_DEFAULT_VERSION (API_NAME, API_PROVIDER, "
			 "DEFAULT_API_VERSION, PUBLISHED_DEFAULT_API_VERSION) VALUES (?, ?, ?, ?)",
			 "ssss", api->name, api->provider, api->version, published);
}

/* ---- registry side ---------------------------------------------------------- */

static gboolean
api_put_artifact (AmApiStore *store, AmDbConn *reg, AmApi *api, const char *user, GError **error)
{
	g_autofree char *path = am_api_store_artifact_path (api->provider, api->name, api->version);
	g_autofree char *dir = api_dir (path);
	g_autofree char *swagger_path = g_build_path ("/", dir, "swagger.json", NULL);
	g_autofree char *name_dir = g_path_get_dirname (dir);
	g_autofree char *provider_dir = g_path_get_dirname (name_dir);
	g_autoptr (AmRegResource) res = am_reg_resource_new ();
	g_autofree char *state = api_title_case (api->status);

	res->media_type = g_strdup (AM_API_MEDIA_TYPE);
	res->content = am_api_store_artifact_xml (api);
	res->uuid = g_strdup (api->id);
	am_reg_resource_set_property (res, LC_NAME_PROP, AM_API_LIFECYCLE);
	am_reg_resource_set_property (res, LC_STATE_PROP, state);
	am_reg_resource_set_property (res, "resource.source", "remote");
	if (!am_registry_put (store->reg, reg, path, res, user, error))
		return FALSE;
	g_free (api->id);
	api->id = g_strdup (res->uuid);
	api->created_ms = res->created_ms;
	api->updated_ms = res->updated_ms;
	if (!am_registry_set_tags (store->reg, reg, path, (const char *const *) api->tags, user,
				   error))
		return FALSE;
	/* provider ---provides---> API (APIProviderImpl.createAPI) */
	if (!am_registry_create_collection (store->reg, reg, provider_dir, user, error) ||
	    !am_registry_add_association (store->reg, reg, provider_dir, path, "provides", error))
		return FALSE;
	if (api->swagger != NULL) {
		g_autoptr (AmRegResource) sw = am_reg_resource_new ();

		sw->media_type = g_strdup ("application/json");
		sw->content = g_strdup (api->swagger);
		if (!am_registry_put (store->reg, reg, swagger_path, sw, user, error))
			return FALSE;
	} else {
		gboolean exists;
		if (!am_registry_exists (store->reg, reg, swagger_path, &exists, error) ||
		    (exists && !am_registry_delete (store->reg, reg, swagger_path, error)))
			return FALSE;
	}
	return TRUE;
}

static gboolean
api_put_db (AmApiStore *store, AmDbConn *am, AmApi *api, gint64 id, gboolean v26,
	    const char *user, GError **error)
{
	g_autofree char *tmpl = api_db_context_template (api->context_template);
	gint64 now = g_get_real_time ();

	if (id == 0) {
		g_autoptr (AmDbStmt) st = am_db_prepare (
			am,
			"INSERT INTO AM_API (API_PROVIDER, API_NAME, API_VERSION, CONTEXT, "
			"CONTEXT_TEMPLATE, CREATED_BY, CREATED_TIME, API_TIER) VALUES (?, ?, ?, ?, ?, "
			"?, ?, ?)",
			error);
		if (st == NULL)
			return FALSE;
		am_db_bind_text (st, 1, api->provider);
		am_db_bind_text (st, 2, api->name);
		am_db_bind_text (st, 3, api->version);
		am_db_bind_text (st, 4, api->context);
		am_db_bind_text (st, 5, tmpl);
		am_db_bind_text (st, 6, user);
		am_db_bind_timestamp (st, 7, now);
		am_db_bind_text (st, 8, api_blank (api->api_level_policy) ? NULL
									   : api->api_level_policy);
		if (am_db_step (st, error) == AM_DB_STEP_ERROR)
			return FALSE;
		api->db_id = am_db_last_insert_id (st);
		if (!api_lc_event (store, am, api->db_id, NULL, "CREATED", user, error))
			return FALSE;
	} else {
		api->db_id = id;
		if (!api_exec (am, error,
			       "UPDATE AM_API SET CONTEXT = ?, CONTEXT_TEMPLATE = ?, API_TIER = ?, "
			       "UPDATED_BY = ?, UPDATED_TIME = ? WHERE API_ID = ?",
			       "ssssti", api->context, tmpl,
			       api_blank (api->api_level_policy) ? NULL : api->api_level_policy,
			       user, now, id) ||
		    !api_exec (am, error, "DELETE FROM AM_API_URL_MAPPING WHERE API_ID = ?", "i", id) ||
		    !api_delete_scopes (store, am, id, v26, error))
			return FALSE;
	}
	return api_write_url_mappings (am, api, api->db_id, error) &&
	       api_write_scopes (store, am, api, api->db_id, v26, error) &&
	       api_default_version (am, api, error);
}

gboolean
am_api_store_create (AmApiStore *store, AmDbConn *reg, AmDbConn *am, AmApi *api,
		     const char *user, GError **error)
{
	g_autofree char *path = NULL;
	gboolean exists, v26;
	gint64 id;

	if (!api_normalise (api, error))
		return FALSE;
	g_free (api->status);
	api->status = g_strdup ("CREATED");
	g_clear_pointer (&api->id, g_free);
	path = am_api_store_artifact_path (api->provider, api->name, api->version);
	if (!am_db_begin (reg, error) || !am_db_begin (am, error) ||
	    !api_scope_schema_26 (store, am, &v26, error) ||
	    !api_db_id (am, api->provider, api->name, api->version, &id, error) ||
	    !am_registry_exists (store->reg, reg, path, &exists, error)) {
		api_rollback (reg, am);
		return FALSE;
	}
	if (id != 0 || exists) {
		g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_DUPLICATE,
			     "an API %s-%s-%s already exists", api->provider, api->name,
			     api->version);
		api_rollback (reg, am);
		return FALSE;
	}
	if (!api_check_context (am, api, 0, error) || !api_check_scopes (store, am, api, v26, error) ||
	    !api_put_db (store, am, api, 0, v26, user, error) ||
	    !api_put_artifact (store, reg, api, user, error)) {
		api_rollback (reg, am);
		return FALSE;
	}
	return api_commit (reg, am, error);
}

/* ---- reading ------------------------------------------------------------------ */

static gboolean
api_read_db (AmApiStore *store, AmDbConn *am, AmApi *api, gboolean v26, GError **error)
{
	g_autoptr (AmDbStmt) st = am_db_prepare (
		am,
		"SELECT API_ID, API_TIER, CREATED_TIME FROM AM_API WHERE API_PROVIDER = ? AND "
		"API_NAME = ? AND API_VERSION = ?",
		error);
	g_autoptr (GPtrArray) ops = NULL;
	g_autofree char *sql = NULL;
	AmDbStep step;

	if (st == NULL)
		return FALSE;
	am_db_bind_text (st, 1, api->provider);
	am_db_bind_text (st, 2, api->name);
	am_db_bind_text (st, 3, api->version);
	step = am_db_step (st, error);
	if (step == AM_DB_STEP_ERROR)
		return FALSE;
	if (step == AM_DB_STEP_DONE) /* registry only: what the artifact says */
		return TRUE;
	api->db_id = am_db_column_int64 (st, 0);
	api->api_level_policy = g_strdup (am_db_column_text (st, 1));
	if (api->created_ms == 0)
		api->created_ms = am_registry_parse_time (am_db_column_text (st, 2));
	g_clear_pointer (&st, am_db_stmt_free);

	/* resources: AM_API_URL_MAPPING is authoritative (APIUtil.getAPI) */
	st = am_db_prepare (am,
			    "SELECT URL_PATTERN, HTTP_METHOD, AUTH_SCHEME, THROTTLING_TIER FROM "
			    "AM_API_URL_MAPPING WHERE API_ID = ? ORDER BY URL_MAPPING_ID",
			    error);
	if (st == NULL)
		return FALSE;
	am_db_bind_int64 (st, 1, api->db_id);
	ops = g_ptr_array_new_with_free_func ((GDestroyNotify) am_api_operation_free);
	while ((step = am_db_step (st, error)) == AM_DB_STEP_ROW) {
		AmApiAuthType type = AM_API_AUTH_ANY;

		if (am_db_column_text (st, 2) != NULL)
			am_api_auth_type_from_string (am_db_column_text (st, 2), &type);
		g_ptr_array_add (ops, am_api_operation_new (am_db_column_text (st, 0),
							    am_db_column_text (st, 1), type,
							    am_db_column_text (st, 3), NULL));
	}
	if (step == AM_DB_STEP_ERROR)
		return FALSE;
	g_clear_pointer (&st, am_db_stmt_free);
	if (ops->len > 0) {
		g_ptr_array_unref (api->operations);
		api->operations = g_steal_pointer (&ops);
	}

	/* scopes and their roles */
	sql = g_strdup_printf ("SELECT S.SCOPE_ID, S.%s, S.%s, S.DESCRIPTION, %s FROM "
			       "IDN_OAUTH2_SCOPE S, AM_API_SCOPES X WHERE X.API_ID = ? AND "
			       "S.SCOPE_ID = X.SCOPE_ID ORDER BY S.SCOPE_ID",
			       v26 ? "NAME" : "SCOPE_KEY", v26 ? "DISPLAY_NAME" : "NAME",
			       v26 ? "NULL" : "S.ROLES");
	st = am_db_prepare (am, sql, error);
	if (st == NULL)
		return FALSE;
	am_db_bind_int64 (st, 1, api->db_id);
	{
		g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));

		while ((step = am_db_step (st, error)) == AM_DB_STEP_ROW) {
			gint64 sid = am_db_column_int64 (st, 0);
			g_auto (GStrv) roles = NULL;

			if (!v26) {
				roles = g_strsplit (am_db_column_text (st, 4) ? am_db_column_text (st, 4)
									       : "",
						    ",", -1);
				for (guint r = 0; roles[r] != NULL; r++)
					g_strstrip (roles[r]);
				if (roles[0] != NULL && roles[0][0] == '\0' && roles[1] == NULL)
					g_clear_pointer (&roles, g_strfreev);
			}
			g_array_append_val (ids, sid);
			g_ptr_array_add (api->scopes,
					 am_api_scope_new (am_db_column_text (st, 1),
							   am_db_column_text (st, 2),
							   am_db_column_text (st, 3),
							   (const char *const *) roles));
		}
		if (step == AM_DB_STEP_ERROR)
			return FALSE;
		g_clear_pointer (&st, am_db_stmt_free);
		for (guint i = 0; v26 && i < ids->len; i++) {
			AmApiScope *sc = api->scopes->pdata[i];
			g_autoptr (GPtrArray) roles = g_ptr_array_new ();

			st = am_db_prepare (am,
					    "SELECT SCOPE_BINDING FROM IDN_OAUTH2_SCOPE_BINDING WHERE "
					    "SCOPE_ID = ?",
					    error);
			if (st == NULL)
				return FALSE;
			am_db_bind_int64 (st, 1, g_array_index (ids, gint64, i));
			while ((step = am_db_step (st, error)) == AM_DB_STEP_ROW)
				g_ptr_array_add (roles, g_strdup (am_db_column_text (st, 0)));
			g_clear_pointer (&st, am_db_stmt_free);
			if (step == AM_DB_STEP_ERROR)
				return FALSE;
			g_ptr_array_add (roles, NULL);
			g_strfreev (sc->roles);
			sc->roles = (char **) g_ptr_array_free (g_steal_pointer (&roles), FALSE);
		}
	}

	/* which scope guards which resource */
	g_free (sql);
	sql = g_strdup_printf ("SELECT S.%s FROM IDN_OAUTH2_RESOURCE_SCOPE R, IDN_OAUTH2_SCOPE S "
			       "WHERE R.RESOURCE_PATH = ? AND S.SCOPE_ID = R.SCOPE_ID",
			       v26 ? "NAME" : "SCOPE_KEY");
	for (guint i = 0; api->scopes->len > 0 && i < api->operations->len; i++) {
		AmApiOperation *op = api->operations->pdata[i];
		g_autofree char *key = g_strdup_printf ("%s/%s%s:%s", api->context, api->version,
							op->url_pattern, op->http_method);

		st = am_db_prepare (am, sql, error);
		if (st == NULL)
			return FALSE;
		am_db_bind_text (st, 1, key);
		step = am_db_step (st, error);
		if (step == AM_DB_STEP_ROW) {
			g_free (op->scope);
			op->scope = g_strdup (am_db_column_text (st, 0));
		}
		g_clear_pointer (&st, am_db_stmt_free);
		if (step == AM_DB_STEP_ERROR)
			return FALSE;
	}
	return TRUE;
}

static AmApi *
api_load (AmApiStore *store, AmDbConn *reg, AmDbConn *am, AmRegResource *res, GError **error)
{
	g_autoptr (AmApi) api = NULL;
	g_autofree char *dir = NULL;
	g_autofree char *swagger_path = NULL;
	g_autoptr (AmRegResource) sw = NULL;
	g_autoptr (GError) local = NULL;
	gboolean v26;

	if (g_strcmp0 (res->media_type, AM_API_MEDIA_TYPE) != 0) {
		g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_NOT_FOUND,
			     "%s is not an API (media type %s)", res->path,
			     res->media_type ? res->media_type : "none");
		return NULL;
	}
	api = am_api_store_parse_artifact (res->content, error);
	if (api == NULL) {
		g_prefix_error (error, "%s: ", res->path);
		return NULL;
	}
	api->id = g_strdup (res->uuid);
	api->created_ms = res->created_ms;
	api->updated_ms = res->updated_ms;
	dir = api_dir (res->path);
	swagger_path = g_build_path ("/", dir, "swagger.json", NULL);
	sw = am_registry_get (store->reg, reg, swagger_path, &local);
	if (sw != NULL)
		api->swagger = g_strdup (sw->content);
	else if (!g_error_matches (local, AM_REGISTRY_ERROR, AM_REGISTRY_ERROR_NOT_FOUND)) {
		g_propagate_error (error, g_steal_pointer (&local));
		return NULL;
	}
	api->tags = am_registry_get_tags (store->reg, reg, res->path, error);
	if (api->tags == NULL)
		return NULL;
	if (api->tags[0] == NULL)
		g_clear_pointer (&api->tags, g_strfreev);
	if (!api_scope_schema_26 (store, am, &v26, error) ||
	    !api_read_db (store, am, api, v26, error))
		return NULL;
	return g_steal_pointer (&api);
}

static AmApi *
api_not_found (AmRegResource *res, GError *local, const char *what, GError **error)
{
	if (res == NULL && g_error_matches (local, AM_REGISTRY_ERROR, AM_REGISTRY_ERROR_NOT_FOUND))
		g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_NOT_FOUND,
			     "no API %s", what);
	else
		g_propagate_error (error, local);
	return NULL;
}

AmApi *
am_api_store_get (AmApiStore *store, AmDbConn *reg, AmDbConn *am, const char *id, GError **error)
{
	GError *local = NULL;
	g_autoptr (AmRegResource) res = NULL;

	if (api_blank (id)) {
		g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_NOT_FOUND, "no API id");
		return NULL;
	}
	res = am_registry_get_by_uuid (store->reg, reg, id, &local);
	if (res == NULL)
		return api_not_found (res, local, id, error);
	return api_load (store, reg, am, res, error);
}

AmApi *
am_api_store_get_by_identifier (AmApiStore *store, AmDbConn *reg, AmDbConn *am,
				const char *provider, const char *name, const char *version,
				GError **error)
{
	g_autofree char *path = NULL;
	g_autofree char *what = NULL;
	g_autoptr (AmRegResource) res = NULL;
	GError *local = NULL;

	if (api_blank (provider) || api_blank (name) || api_blank (version) ||
	    strchr (name, '/') != NULL || strchr (version, '/') != NULL ||
	    strchr (provider, '/') != NULL) {
		g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_NOT_FOUND,
			     "no API %s-%s-%s", provider, name, version);
		return NULL;
	}
	path = am_api_store_artifact_path (provider, name, version);
	what = g_strdup_printf ("%s-%s-%s", provider, name, version);
	res = am_registry_get (store->reg, reg, path, &local);
	if (res == NULL)
		return api_not_found (res, local, what, error);
	return api_load (store, reg, am, res, error);
}

/* ---- update, delete, status ------------------------------------------------------ */

gboolean
am_api_store_update (AmApiStore *store, AmDbConn *reg, AmDbConn *am, const AmApi *api,
		     const char *user, GError **error)
{
	g_autoptr (AmApi) stored = NULL;
	g_autoptr (AmApi) copy = am_api_copy (api);
	gboolean v26;

	if (!api_normalise (copy, error))
		return FALSE;
	stored = am_api_store_get (store, reg, am, api->id, error);
	if (stored == NULL)
		return FALSE;
	if (g_strcmp0 (stored->provider, copy->provider) != 0 ||
	    g_strcmp0 (stored->name, copy->name) != 0 ||
	    g_strcmp0 (stored->version, copy->version) != 0) {
		g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_INVALID,
			     "the provider, name and version of API %s cannot change", api->id);
		return FALSE;
	}
	g_free (copy->status);
	copy->status = g_strdup (stored->status);
	if (!am_db_begin (reg, error) || !am_db_begin (am, error) ||
	    !api_scope_schema_26 (store, am, &v26, error) ||
	    !api_check_context (am, copy, stored->db_id, error) ||
	    !api_check_scopes (store, am, copy, v26, error) ||
	    !api_put_db (store, am, copy, stored->db_id, v26, user, error) ||
	    !api_put_artifact (store, reg, copy, user, error)) {
		api_rollback (reg, am);
		return FALSE;
	}
	return api_commit (reg, am, error);
}

gboolean
am_api_store_delete (AmApiStore *store, AmDbConn *reg, AmDbConn *am, const char *id,
		     GError **error)
{
	g_autoptr (AmApi) api = am_api_store_get (store, reg, am, id, error);
	g_autofree char *path = NULL;
	g_autofree char *dir = NULL;
	g_autofree char *name_dir = NULL;
	g_autoptr (AmDbStmt) st = NULL;
	g_autoptr (GPtrArray) left = NULL;
	gboolean v26;
	AmDbStep step;

	if (api == NULL)
		return FALSE;
	path = am_api_store_artifact_path (api->provider, api->name, api->version);
	dir = api_dir (path);
	name_dir = api_dir (dir);
	if (!am_db_begin (reg, error) || !am_db_begin (am, error) ||
	    !api_scope_schema_26 (store, am, &v26, error)) {
		api_rollback (reg, am);
		return FALSE;
	}
	if (api->db_id != 0) {
		st = am_db_prepare (am, "SELECT COUNT(*) FROM AM_SUBSCRIPTION WHERE API_ID = ?",
				    error);
		if (st == NULL) {
			api_rollback (reg, am);
			return FALSE;
		}
		am_db_bind_int64 (st, 1, api->db_id);
		step = am_db_step (st, error);
		if (step != AM_DB_STEP_ROW) {
			api_rollback (reg, am);
			return FALSE;
		}
		if (am_db_column_int64 (st, 0) > 0) {
			g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_HAS_SUBSCRIPTIONS,
				     "Cannot remove the API %s as active subscriptions exist", id);
			api_rollback (reg, am);
			return FALSE;
		}
		g_clear_pointer (&st, am_db_stmt_free);
		if (!api_delete_scopes (store, am, api->db_id, v26, error) ||
		    !api_exec (am, error, "DELETE FROM AM_API_URL_MAPPING WHERE API_ID = ?", "i",
			       api->db_id) ||
		    !api_exec (am, error, "DELETE FROM AM_API_LC_EVENT WHERE API_ID = ?", "i",
			       api->db_id) ||
		    !api_exec (am, error, "DELETE FROM AM_API_COMMENTS WHERE API_ID = ?", "i",
			       api->db_id) ||
		    !api_exec (am, error, "DELETE FROM AM_API_RATINGS WHERE API_ID = ?", "i",
			       api->db_id) ||
		    !api_exec (am, error, "DELETE FROM AM_EXTERNAL_STORES WHERE API_ID = ?", "i",
			       api->db_id) ||
		    !api_exec (am, error, "DELETE FROM AM_API WHERE API_ID = ?", "i", api->db_id)) {
			api_rollback (reg, am);
			return FALSE;
		}
	}
	api->is_default_version = FALSE;
	if (!api_default_version (am, api, error) ||
	    !am_registry_remove_associations (store->reg, reg, path, error) ||
	    !am_registry_delete (store->reg, reg, dir, error) ||
	    (left = am_registry_get_children (store->reg, reg, name_dir, error)) == NULL ||
	    (left->len == 0 && !am_registry_delete (store->reg, reg, name_dir, error))) {
		api_rollback (reg, am);
		return FALSE;
	}
	return api_commit (reg, am, error);
}

gboolean
am_api_store_change_status (AmApiStore *store, AmDbConn *reg, AmDbConn *am, const char *id,
			    const char *status, const char *user, GError **error)
{
	g_autoptr (AmApi) api = NULL;
	g_autofree char *upper = status != NULL ? g_ascii_strup (status, -1) : NULL;
	g_autofree char *previous = NULL;
	g_autofree char *path = NULL;
	g_autoptr (AmRegResource) res = NULL;
	g_autofree char *state = NULL;

	if (upper == NULL || !g_strv_contains (api_states, upper)) {
		g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_BAD_STATE,
			     "unknown API status '%s'", status ? status : "(null)");
		return FALSE;
	}
	api = am_api_store_get (store, reg, am, id, error);
	if (api == NULL)
		return FALSE;
	if (g_strcmp0 (api->status, upper) == 0) {
		g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_BAD_STATE,
			     "API %s is already %s", id, upper);
		return FALSE;
	}
	previous = g_steal_pointer (&api->status);
	api->status = g_strdup (upper);
	state = api_title_case (upper);
	path = am_api_store_artifact_path (api->provider, api->name, api->version);
	if (!am_db_begin (reg, error) || !am_db_begin (am, error) ||
	    (res = am_registry_get (store->reg, reg, path, error)) == NULL) {
		api_rollback (reg, am);
		return FALSE;
	}
	g_free (res->content);
	res->content = am_api_store_artifact_xml (api);
	am_reg_resource_set_property (res, LC_STATE_PROP, state);
	if (am_reg_resource_get_property (res, LC_NAME_PROP) == NULL)
		am_reg_resource_set_property (res, LC_NAME_PROP, AM_API_LIFECYCLE);
	if (!am_registry_put (store->reg, reg, path, res, user, error) ||
	    (api->db_id != 0 &&
	     (!api_lc_event (store, am, api->db_id, previous, upper, user, error) ||
	      !api_exec (am, error, "UPDATE AM_API SET UPDATED_BY = ?, UPDATED_TIME = ? WHERE API_ID = ?",
			 "sti", user, g_get_real_time (), api->db_id))) ||
	    (api->is_default_version && !api_default_version (am, api, error))) {
		api_rollback (reg, am);
		return FALSE;
	}
	return api_commit (reg, am, error);
}

/* ---- search ------------------------------------------------------------------------ */

/* Case-folded glob with '*' only. */
static gboolean
api_glob (const char *pat, const char *s)
{
	if (*pat == '\0')
		return *s == '\0';
	if (*pat == '*')
		return api_glob (pat + 1, s) || (*s != '\0' && api_glob (pat, s + 1));
	return *s != '\0' && g_ascii_tolower (*pat) == g_ascii_tolower (*s) &&
	       api_glob (pat + 1, s + 1);
}

typedef struct {
	char *attr;
	char *value;
} ApiTerm;

static gboolean
api_term_match (const ApiTerm *t, const AmApi *api)
{
	const char *field = strcmp (t->attr, "name") == 0	? api->name
			    : strcmp (t->attr, "provider") == 0 ? api->provider
			    : strcmp (t->attr, "version") == 0	? api->version
			    : strcmp (t->attr, "context") == 0	? api->context
								: api->status;

	if (field == NULL)
		return FALSE;
	if (strchr (t->value, '*') != NULL)
		return api_glob (t->value, field);
	if (strcmp (t->attr, "name") == 0) {
		g_autofree char *f = g_ascii_strdown (field, -1);
		g_autofree char *v = g_ascii_strdown (t->value, -1);
		return strstr (f, v) != NULL;
	}
	return g_ascii_strcasecmp (field, t->value) == 0;
}

static gint
api_cmp (gconstpointer a, gconstpointer b)
{
	const AmApi *x = *(AmApi *const *) a, *y = *(AmApi *const *) b;
	int c = g_ascii_strcasecmp (x->name, y->name);

	if (c == 0)
		c = strcmp (x->version, y->version);
	if (c == 0)
		c = strcmp (x->provider, y->provider);
	return c;
}

GPtrArray *
am_api_store_search (AmApiStore *store, AmDbConn *reg, AmDbConn *am, const char *query,
		     GError **error)
{
	static const char *const attrs[] = { "name", "provider", "version", "context", "status",
					     NULL };
	g_autoptr (GArray) terms = g_array_new (FALSE, TRUE, sizeof (ApiTerm));
	g_auto (GStrv) words = g_strsplit_set (query != NULL ? query : "", " \t", -1);
	g_autoptr (GPtrArray) paths = NULL;
	g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) am_api_free);
	gboolean ok = TRUE;

	for (guint i = 0; words[i] != NULL; i++) {
		const char *colon = strchr (words[i], ':');
		ApiTerm t;

		if (*words[i] == '\0')
			continue;
		t.attr = colon != NULL ? g_ascii_strdown (words[i], colon - words[i])
				       : g_strdup ("name");
		t.value = g_strdup (colon != NULL ? colon + 1 : words[i]);
		g_array_append_val (terms, t);
		if (!g_strv_contains (attrs, t.attr) || *t.value == '\0') {
			g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_BAD_QUERY,
				     "cannot search by '%s' (use name, provider, version, context "
				     "or status with a value)",
				     words[i]);
			ok = FALSE;
			break;
		}
	}
	if (ok) {
		paths = am_registry_find_by_media_type (store->reg, reg, AM_API_MEDIA_TYPE, API_ROOT,
							error);
		ok = paths != NULL;
	}
	for (guint i = 0; ok && i < paths->len; i++) {
		g_autoptr (AmRegResource) res = am_registry_get (store->reg, reg, paths->pdata[i],
								 error);
		g_autoptr (AmApi) api = NULL;
		gboolean match = TRUE;

		if (res == NULL) {
			ok = FALSE;
			break;
		}
		api = api_load (store, reg, am, res, error);
		if (api == NULL) {
			ok = FALSE;
			break;
		}
		for (guint t = 0; match && t < terms->len; t++)
			match = api_term_match (&g_array_index (terms, ApiTerm, t), api);
		if (match)
			g_ptr_array_add (out, g_steal_pointer (&api));
	}
	for (guint t = 0; t < terms->len; t++) {
		g_free (g_array_index (terms, ApiTerm, t).attr);
		g_free (g_array_index (terms, ApiTerm, t).value);
	}
	if (!ok)
		return NULL;
	g_ptr_array_sort (out, api_cmp);
	return g_steal_pointer (&out);
}
