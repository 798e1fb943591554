/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fixture tool for the integration tests: creates APIs in a carbon
 * home's databases exactly as the Publisher stores them (am-api-store:
 * registry artifact, swagger, AM_API rows, lifecycle events), moves them to
 * a lifecycle state, and writes the synapse API file the Publisher would
 * push to the gateway (am-pub-synapse) into the home's
 * synapse-configs/default/api.  The databases come from the home's own
 * configuration (master-datasources.xml, registry.xml), so SQLite and
 * MariaDB homes work alike.
 *
 *   am-test-api --carbon-home HOME < spec.json   -> {"id": "<uuid>"} on stdout
 *   am-test-api --carbon-home HOME --put PATH MEDIA-TYPE < content
 *       a governance registry resource (e.g. sign-up-config.xml)
 *
 * spec: {"provider", "name", "version", "context" (without the version),
 * "description", "tiers": [], "transports": [], "tags": [],
 * "environments": [], "visibility", "visibleRoles": [], "production",
 * "sandbox" (endpoint URLs), "resources": [["GET", "/{any}", "Any"], ...],
 * "status" ("PUBLISHED", ...), "deploy" (write the synapse file)}.
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "am-api-store.h"
#include "am-conf.h"
#include "am-core-conf.h"
#include "am-module.h"
#include "am-pub-swagger.h"
#include "am-pub-synapse.h"
#include "am-registry.h"

static char **
spec_strv (JsonObject *o, const char *name)
{
	JsonArray *a = json_object_has_member (o, name) ? json_object_get_array_member (o, name)
							 : NULL;
	GPtrArray *out = g_ptr_array_new ();

	for (guint i = 0; a != NULL && i < json_array_get_length (a); i++)
		g_ptr_array_add (out, g_strdup (json_array_get_string_element (a, i)));
	g_ptr_array_add (out, NULL);
	return (char **) g_ptr_array_free (out, FALSE);
}

static const char *
spec_str (JsonObject *o, const char *name, const char *def)
{
	return json_object_has_member (o, name) ? json_object_get_string_member (o, name) : def;
}

static AmApi *
spec_api (JsonObject *o)
{
	AmApi *api = am_api_new ();
	g_autoptr (GString) ep = g_string_new ("{");
	JsonArray *res = json_object_has_member (o, "resources")
				 ? json_object_get_array_member (o, "resources")
				 : NULL;

	api->provider = g_strdup (spec_str (o, "provider", "admin"));
	api->name = g_strdup (spec_str (o, "name", NULL));
	api->version = g_strdup (spec_str (o, "version", "1.0.0"));
	api->context = g_strdup (spec_str (o, "context", NULL));
	api->description = g_strdup (spec_str (o, "description", NULL));
	g_strfreev (api->transports);
	api->transports = spec_strv (o, "transports");
	if (api->transports[0] == NULL) {
		g_strfreev (api->transports);
		api->transports = g_strsplit ("http,https", ",", -1);
	}
	api->tiers = spec_strv (o, "tiers");
	api->tags = spec_strv (o, "tags");
	api->gateway_environments = spec_strv (o, "environments");
	g_free (api->visibility);
	api->visibility = g_strdup (spec_str (o, "visibility", "public"));
	api->visible_roles = spec_strv (o, "visibleRoles");
	if (json_object_has_member (o, "production"))
		g_string_append_printf (ep, "\"production_endpoints\":{\"url\":\"%s\",\"config\":null},",
					spec_str (o, "production", ""));
	if (json_object_has_member (o, "sandbox"))
		g_string_append_printf (ep, "\"sandbox_endpoints\":{\"url\":\"%s\",\"config\":null},",
					spec_str (o, "sandbox", ""));
	g_string_append (ep, "\"endpoint_type\":\"http\"}");
	api->endpoint_config = g_strdup (ep->str);
	for (guint i = 0; res != NULL && i < json_array_get_length (res); i++) {
		JsonArray *r = json_array_get_array_element (res, i);
		AmApiAuthType auth = AM_API_AUTH_ANY;

		am_api_auth_type_from_string (json_array_get_string_element (r, 2), &auth);
		g_ptr_array_add (api->operations,
				 am_api_operation_new (json_array_get_string_element (r, 1),
						       json_array_get_string_element (r, 0), auth,
						       "Unlimited", NULL));
	}
	api->swagger = am_pub_swagger_generate (api, FALSE);
	return api;
}

static gboolean
deploy (AmConf *conf, const AmApi *api, GError **error)
{
	const AmApimConf *apim = am_conf_apim (conf);
	AmPubSynapseOptions opts;
	g_autofree char *xml = NULL;
	g_autofree char *name = am_pub_synapse_file_name (api);
	g_autofree char *dir = g_build_filename (am_conf_carbon_home (conf), "repository",
						 "deployment", "server", "synapse-configs",
						 "default", "api", NULL);
	g_autofree char *tmp = NULL;
	g_autofree char *path = NULL;

	am_pub_synapse_options_init (&opts);
	if (api->gateway_environments != NULL && api->gateway_environments[0] != NULL) {
		const AmEnvironmentConf *env =
			am_apim_conf_find_environment (apim, api->gateway_environments[0]);

		if (env != NULL)
			opts.environment_type = env->type == AM_ENV_PRODUCTION ? AM_PUB_ENV_PRODUCTION
						: env->type == AM_ENV_SANDBOX	 ? AM_PUB_ENV_SANDBOX
										 : AM_PUB_ENV_HYBRID;
	}
	opts.advanced_throttling = apim->advanced_throttling;
	opts.global_cors = apim->cors_enabled;
	xml = am_pub_synapse_generate (api, &opts, error);
	if (xml == NULL)
		return FALSE;
	g_mkdir_with_parents (dir, 0755);
	path = g_build_filename (dir, name, NULL);
	tmp = g_strconcat (path, ".tmp", NULL);
	/* written aside and renamed: the gateway never reads half a file */
	return g_file_set_contents (tmp, xml, -1, error) &&
	       (g_rename (tmp, path) == 0 ||
		(g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "rename %s failed", tmp),
		 FALSE));
}

/* The home's datasources: WSO2AM_DB and the governance registry's. */
static gboolean
open_dbs (AmConf *conf, const char *home, AmDb **am_db, AmDb **reg_db, GError **error)
{
	const AmCoreConf *core = am_conf_core (conf);
	const AmDatasourceConf *ds = am_core_conf_find_datasource (core, am_conf_apim (conf)->datasource);
	const char *reg_name = am_core_conf_registry_datasource (core, "/_system/governance");
	const AmDatasourceConf *rds = reg_name != NULL ? am_core_conf_find_datasource (core, reg_name)
						      : NULL;

	if (ds == NULL || rds == NULL) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "no datasource");
		return FALSE;
	}
	return (*am_db = am_db_new (ds, home, error)) != NULL &&
	       (*reg_db = am_db_new (rds, home, error)) != NULL;
}

static gboolean
put_resource (const char *home, const char *path, const char *media_type, GError **error)
{
	g_autoptr (AmConf) conf = am_conf_load (home, NULL, am_modules, error);
	g_autoptr (GIOChannel) in = g_io_channel_unix_new (0);
	g_autoptr (AmDb) am_db = NULL;
	g_autoptr (AmDb) reg_db = NULL;
	g_autoptr (AmDbConn) reg = NULL;
	g_autoptr (AmRegistry) registry = am_registry_new (AM_REGISTRY_SUPER_TENANT_ID, TRUE);
	g_autoptr (AmRegResource) res = am_reg_resource_new ();
	gsize len = 0;

	if (conf == NULL || !open_dbs (conf, home, &am_db, &reg_db, error) ||
	    g_io_channel_read_to_end (in, &res->content, &len, error) != G_IO_STATUS_NORMAL ||
	    (reg = am_db_acquire (reg_db, error)) == NULL)
		return FALSE;
	res->media_type = g_strdup (media_type);
	return am_registry_put (registry, reg, path, res, "admin", error) &&
	       am_db_commit (reg, error);
}

static gboolean
run (const char *home, GError **error)
{
	g_autoptr (AmConf) conf = NULL;
	g_autoptr (JsonParser) parser = json_parser_new ();
	g_autoptr (GIOChannel) in = g_io_channel_unix_new (0);
	g_autofree char *text = NULL;
	g_autoptr (AmApi) api = NULL;
	g_autoptr (AmDb) am_db = NULL;
	g_autoptr (AmDb) reg_db = NULL;
	g_autoptr (AmDbConn) am = NULL;
	g_autoptr (AmDbConn) reg = NULL;
	g_autoptr (AmRegistry) registry = NULL;
	g_autoptr (AmApiStore) store = NULL;
	const char *status;
	JsonObject *spec;
	gsize len = 0;

	if (g_io_channel_read_to_end (in, &text, &len, error) != G_IO_STATUS_NORMAL ||
	    !json_parser_load_from_data (parser, text, len, error))
		return FALSE;
	spec = json_node_get_object (json_parser_get_root (parser));
	conf = am_conf_load (home, NULL, am_modules, error);
	if (conf == NULL)
		return FALSE;
	if (!open_dbs (conf, home, &am_db, &reg_db, error) ||
	    (am = am_db_acquire (am_db, error)) == NULL ||
	    (reg = am_db_acquire (reg_db, error)) == NULL)
		return FALSE;
	registry = am_registry_new (AM_REGISTRY_SUPER_TENANT_ID, TRUE);
	store = am_api_store_new (registry);
	api = spec_api (spec);
	if (!am_api_store_create (store, reg, am, api, api->provider, error))
		return FALSE;
	status = spec_str (spec, "status", "CREATED");
	if (g_strcmp0 (status, "CREATED") != 0 &&
	    !am_api_store_change_status (store, reg, am, api->id, status, api->provider, error))
		return FALSE;
	g_free (api->status);
	api->status = g_strdup (status);
	if (json_object_has_member (spec, "deploy") &&
	    json_object_get_boolean_member (spec, "deploy") && !deploy (conf, api, error))
		return FALSE;
	printf ("{\"id\": \"%s\", \"context\": \"%s\"}\n", api->id, api->context);
	return TRUE;
}

int
main (int argc, char **argv)
{
	const char *home = NULL;
	const char *put_path = NULL, *put_type = NULL;
	g_autoptr (GError) error = NULL;
	gboolean ok;

	for (int i = 1; i < argc; i++) {
		if (strcmp (argv[i], "--carbon-home") == 0 && i + 1 < argc) {
			home = argv[++i];
		} else if (strcmp (argv[i], "--put") == 0 && i + 2 < argc) {
			put_path = argv[++i];
			put_type = argv[++i];
		}
	}
	if (home == NULL) {
		fprintf (stderr, "usage: %s --carbon-home HOME < spec.json\n", argv[0]);
		return 2;
	}
	ok = put_path != NULL ? put_resource (home, put_path, put_type, &error)
			      : run (home, &error);
	if (!ok) {
		fprintf (stderr, "am-test-api: %s\n", error->message);
		return 1;
	}
	return 0;
}
