/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The REST API scopes of a tenant: tenant-conf.json's "RESTAPIScopes"
 * ({"Scope": [{"Name": "apim:api_view", "Roles": "admin,Internal/creator"}, ...]}),
 * which the token endpoint's scope issuer (RoleBasedScopesIssuer) grants
 * by role.
 *
 * Where API-M 2.x reads it (APIUtil.loadTenantConf / getTenantConfig): the
 * config registry resource /_system/config/apimgt/applicationdata/tenant-conf.json,
 * which the server seeds at tenant load from
 * <carbon.home>/repository/resources/tenant-conf.json when that file
 * exists, else from the copy inside its jar.  Operators edit the registry
 * copy (management console, Admin portal); so do we: the registry copy, if
 * the REG_* tables hold one, wins; then the file; then the built-in 2.6
 * default below (the jar's copy).  Nothing is cached: the token endpoint
 * reads it only when a client asks for an apim:* scope.
 *
 * The registry read is one prepared query on REG_PATH / REG_RESOURCE /
 * REG_CONTENT in registry_read_tenant_conf, on purpose the only registry
 * code here (the registry layer proper lives in src/apimgt).
 */
#define G_LOG_DOMAIN "am.km"
#include "config.h"

#include "am-km-private.h"
#include "am-userstore.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* API-M 2.6's RESTAPIScopes (wso2-db-rest.md §4.1); the shipped
 * repository/resources/tenant-conf.json has the same (a unit test checks). */
static const char default_tenant_conf[] =
	"{\"RESTAPIScopes\": {\"Scope\": ["
	"{\"Name\": \"apim:api_publish\", \"Roles\": \"admin,Internal/publisher\"},"
	"{\"Name\": \"apim:api_create\", \"Roles\": \"admin,Internal/creator\"},"
	"{\"Name\": \"apim:api_view\", \"Roles\": \"admin,Internal/publisher,Internal/creator\"},"
	"{\"Name\": \"apim:subscribe\", \"Roles\": \"admin,Internal/subscriber\"},"
	"{\"Name\": \"apim:tier_view\", \"Roles\": \"admin,Internal/publisher,Internal/creator\"},"
	"{\"Name\": \"apim:tier_manage\", \"Roles\": \"admin\"},"
	"{\"Name\": \"apim:bl_view\", \"Roles\": \"admin\"},"
	"{\"Name\": \"apim:bl_manage\", \"Roles\": \"admin\"},"
	"{\"Name\": \"apim:subscription_view\", \"Roles\": \"admin,Internal/creator\"},"
	"{\"Name\": \"apim:subscription_block\", \"Roles\": \"admin,Internal/publisher\"},"
	"{\"Name\": \"apim:mediation_policy_view\", \"Roles\": \"admin\"},"
	"{\"Name\": \"apim:mediation_policy_create\", \"Roles\": \"admin\"},"
	"{\"Name\": \"apim:api_workflow\", \"Roles\": \"admin\"},"
	"{\"Name\": \"apim:app_owner_change\", \"Roles\": \"admin\"},"
	"{\"Name\": \"apim:app_import_export\", \"Roles\": \"admin\"},"
	"{\"Name\": \"apim:label_manage\", \"Roles\": \"admin\"},"
	"{\"Name\": \"apim:label_read\", \"Roles\": \"admin\"}"
	"]}}";

static char **
split_roles (const char *roles)
{
	g_auto (GStrv) parts = g_strsplit (roles != NULL ? roles : "", ",", -1);
	g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);

	for (guint i = 0; parts[i] != NULL; i++) {
		g_strstrip (parts[i]);
		if (*parts[i] != '\0')
			g_ptr_array_add (out, g_strdup (parts[i]));
	}
	g_ptr_array_add (out, NULL);
	return (char **) g_ptr_array_steal (out, NULL);
}

GHashTable *
am_km_rest_scopes_parse (const char *json, gssize len, GError **error)
{
	g_autoptr (JsonParser) parser = json_parser_new ();
	g_autoptr (GHashTable) scopes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
							       (GDestroyNotify) g_strfreev);
	g_autoptr (GError) local = NULL;
	JsonNode *root, *node;
	JsonArray *list;

	if (!json_parser_load_from_data (parser, json, len, &local)) {
		g_set_error (error, AM_KM_ERROR, AM_KM_ERROR_FAILED, "tenant-conf.json: %s",
			     local->message);
		return NULL;
	}
	root = json_parser_get_root (parser);
	node = root != NULL && JSON_NODE_HOLDS_OBJECT (root)
		       ? json_object_get_member (json_node_get_object (root), "RESTAPIScopes")
		       : NULL;
	node = node != NULL && JSON_NODE_HOLDS_OBJECT (node)
		       ? json_object_get_member (json_node_get_object (node), "Scope")
		       : NULL;
	if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node)) {
		g_set_error_literal (error, AM_KM_ERROR, AM_KM_ERROR_FAILED,
				     "tenant-conf.json: no RESTAPIScopes/Scope list");
		return NULL;
	}
	list = json_node_get_array (node);
	for (guint i = 0; i < json_array_get_length (list); i++) {
		JsonNode *item = json_array_get_element (list, i);
		JsonObject *o = JSON_NODE_HOLDS_OBJECT (item) ? json_node_get_object (item) : NULL;
		const char *name = o != NULL ? json_object_get_string_member_with_default (o, "Name", NULL)
					     : NULL;

		if (name == NULL || *name == '\0') {
			g_set_error (error, AM_KM_ERROR, AM_KM_ERROR_FAILED,
				     "tenant-conf.json: RESTAPIScopes/Scope[%u] has no Name", i);
			return NULL;
		}
		g_hash_table_replace (
			scopes, g_strdup (name),
			split_roles (json_object_get_string_member_with_default (o, "Roles", "")));
	}
	return g_steal_pointer (&scopes);
}

/* The content of the config registry's tenant-conf.json of the super
 * tenant; NULL without @error when there is none.  Blocks. */
static char *
registry_read_tenant_conf (AmDb *regdb, GError **error)
{
	g_autoptr (AmDbConn) conn = am_db_acquire_reader (regdb, error);
	g_autoptr (AmDbStmt) st = NULL;
	char *content = NULL;

	if (conn == NULL)
		return NULL;
	st = am_db_prepare (conn,
			    "SELECT C.REG_CONTENT_DATA FROM REG_PATH P "
			    "JOIN REG_RESOURCE R ON R.REG_PATH_ID = P.REG_PATH_ID "
			    "AND R.REG_TENANT_ID = P.REG_TENANT_ID "
			    "JOIN REG_CONTENT C ON C.REG_CONTENT_ID = R.REG_CONTENT_ID "
			    "AND C.REG_TENANT_ID = R.REG_TENANT_ID "
			    "WHERE P.REG_PATH_VALUE = ? AND R.REG_NAME = ? AND P.REG_TENANT_ID = ? "
			    "ORDER BY R.REG_VERSION DESC",
			    error);
	if (st == NULL)
		return NULL;
	am_db_bind_text (st, 1, AM_KM_TENANT_CONF_REG_COLLECTION);
	am_db_bind_text (st, 2, AM_KM_TENANT_CONF_NAME);
	am_db_bind_int64 (st, 3, AM_SUPER_TENANT_ID);
	if (am_db_step (st, error) == AM_DB_STEP_ROW && !am_db_column_is_null (st, 0))
		content = g_strdup (am_db_column_text (st, 0));
	return content;
}

GHashTable *
am_km_rest_scopes_load (AmDb *regdb, const char *carbon_home, GError **error)
{
	g_autofree char *text = NULL;
	g_autofree char *path = NULL;
	GError *local = NULL;
	gsize len = 0;

	if (regdb != NULL) {
		text = registry_read_tenant_conf (regdb, &local);
		if (local != NULL) {
			g_propagate_prefixed_error (error, local, "registry %s/%s: ",
						    AM_KM_TENANT_CONF_REG_COLLECTION,
						    AM_KM_TENANT_CONF_NAME);
			return NULL;
		}
		if (text != NULL)
			return am_km_rest_scopes_parse (text, -1, error);
	}
	if (carbon_home != NULL) {
		path = g_build_filename (carbon_home, AM_KM_TENANT_CONF_FILE, NULL);
		if (g_file_get_contents (path, &text, &len, &local))
			return am_km_rest_scopes_parse (text, len, error);
		if (!g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
			g_propagate_error (error, local);
			return NULL;
		}
		g_clear_error (&local);
	}
	return am_km_rest_scopes_parse (default_tenant_conf, -1, error);
}

GHashTable *
am_km_get_rest_scopes (AmKm *km, GError **error)
{
	AmServer *server = am_km_get_server (km);
	AmConf *conf;
	const char *ds;

	if (server == NULL)
		return am_km_rest_scopes_load (NULL, NULL, error);
	conf = am_server_get_conf (server);
	ds = am_core_conf_registry_datasource (am_conf_core (conf),
					       AM_KM_TENANT_CONF_REG_COLLECTION "/"
					       AM_KM_TENANT_CONF_NAME);
	return am_km_rest_scopes_load (ds != NULL ? am_server_get_db (server, ds) : NULL,
				       am_conf_carbon_home (conf), error);
}
