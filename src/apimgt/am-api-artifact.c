/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API governance artifact: the XML content of the registry resource
 * .../provider/<provider>/<name>/<version>/api, as WSO2 API-M 2.x writes it
 * and reads it back.
 *
 * APIUtil.createAPIArtifactContent sets artifact attributes named
 * "<table>_<field>" (APIConstants.API_OVERVIEW_*: overview_name,
 * overview_context, ..., URITemplate_urlPattern<i>/httpVerb<i>/authType<i>),
 * and the governance GovernanceArtifactManager.setContent serialises them
 * as <metadata xmlns="http://www.wso2.org/governance/metadata"> with one
 * <table> element holding one <field> element per attribute (a null value
 * gives an empty element; a multi-valued attribute repeats the table
 * element; the order is a Java HashMap's, so readers must not depend on
 * it).  Multi-valued API fields are joined into one value: tiers with
 * "||", transports, environments, visible roles/tenants and subscription
 * tenants with ",".  overview_provider holds the provider with "@" written
 * "-AT-" (APIUtil.replaceEmailDomain), as the registry path does.
 * CORS is the Gson JSON of CORSConfiguration.
 *
 * Parsing is done without network, DTD or entity expansion; a document
 * with a DTD is refused.
 */
#define G_LOG_DOMAIN "am.apimgt.api"
#include "config.h"

#include <json-glib/json-glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#include "am-api-store.h"

#define GOV_NS "http://www.wso2.org/governance/metadata"

static void
art_field (GString *out, const char *name, const char *value)
{
	g_autofree char *esc = value != NULL ? g_markup_escape_text (value, -1) : NULL;

	g_string_append_printf (out, "<%s>%s</%s>", name, esc != NULL ? esc : "", name);
}

static char *
art_join (char **values, const char *sep)
{
	return values != NULL ? g_strjoinv (sep, values) : NULL;
}

static void
art_json_strv (JsonBuilder *b, const char *member, char **values)
{
	json_builder_set_member_name (b, member);
	json_builder_begin_array (b);
	for (guint i = 0; values != NULL && values[i] != NULL; i++)
		json_builder_add_string_value (b, values[i]);
	json_builder_end_array (b);
}

/* Gson's rendering of org.wso2.carbon.apimgt.api.model.CORSConfiguration
 * (fields in declaration order). */
static char *
art_cors_json (const AmApiCors *cors)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();
	g_autoptr (JsonGenerator) gen = json_generator_new ();
	g_autoptr (JsonNode) root = NULL;

	json_builder_begin_object (b);
	json_builder_set_member_name (b, "corsConfigurationEnabled");
	json_builder_add_boolean_value (b, cors->enabled);
	art_json_strv (b, "accessControlAllowOrigins", cors->allow_origins);
	json_builder_set_member_name (b, "accessControlAllowCredentials");
	json_builder_add_boolean_value (b, cors->allow_credentials);
	art_json_strv (b, "accessControlAllowHeaders", cors->allow_headers);
	art_json_strv (b, "accessControlAllowMethods", cors->allow_methods);
	json_builder_end_object (b);
	root = json_builder_get_root (b);
	json_generator_set_root (gen, root);
	return json_generator_to_data (gen, NULL);
}

static char **
art_json_get_strv (JsonObject *o, const char *member)
{
	JsonArray *a;
	g_autoptr (GPtrArray) out = g_ptr_array_new ();

	if (!json_object_has_member (o, member) ||
	    !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, member)))
		return NULL;
	a = json_object_get_array_member (o, member);
	for (guint i = 0; i < json_array_get_length (a); i++) {
		JsonNode *n = json_array_get_element (a, i);
		if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
			g_ptr_array_add (out, g_strdup (json_node_get_string (n)));
	}
	g_ptr_array_add (out, NULL);
	return (char **) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

static gboolean
art_json_get_bool (JsonObject *o, const char *member)
{
	JsonNode *n = json_object_has_member (o, member) ? json_object_get_member (o, member)
							  : NULL;

	return n != NULL && JSON_NODE_HOLDS_VALUE (n) &&
	       json_node_get_value_type (n) == G_TYPE_BOOLEAN && json_node_get_boolean (n);
}

static void
art_parse_cors (const char *text, AmApiCors *cors)
{
	g_autoptr (JsonParser) p = json_parser_new ();
	JsonObject *o;

	if (text == NULL || *text == '\0' || !json_parser_load_from_data (p, text, -1, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p)))
		return;
	o = json_node_get_object (json_parser_get_root (p));
	cors->enabled = art_json_get_bool (o, "corsConfigurationEnabled");
	cors->allow_credentials = art_json_get_bool (o, "accessControlAllowCredentials");
	cors->allow_origins = art_json_get_strv (o, "accessControlAllowOrigins");
	cors->allow_headers = art_json_get_strv (o, "accessControlAllowHeaders");
	cors->allow_methods = art_json_get_strv (o, "accessControlAllowMethods");
}

static const char *
art_bool (gboolean b)
{
	return b ? "true" : "false";
}

char *
am_api_store_artifact_xml (const AmApi *api)
{
	g_autoptr (GString) out = g_string_new ("<metadata xmlns=\"" GOV_NS "\">");
	g_autofree char *provider = am_api_provider_to_registry (api->provider);
	g_autofree char *roles = art_join (api->visible_roles, ",");
	g_autofree char *tenants = art_join (api->visible_tenants, ",");
	g_autofree char *transports = art_join (api->transports, ",");
	g_autofree char *sub_tenants = art_join (api->subscription_available_tenants, ",");
	g_autofree char *tiers = art_join (api->tiers, "||");
	g_autofree char *envs = art_join (api->gateway_environments, ",");
	g_autofree char *cors = art_cors_json (&api->cors);
	g_autofree char *timeout = g_strdup_printf ("%d", api->cache_timeout);
	g_autofree char *prod_tps = api->max_tps_production >= 0
					    ? g_strdup_printf ("%" G_GINT64_FORMAT, api->max_tps_production)
					    : NULL;
	g_autofree char *sand_tps = api->max_tps_sandbox >= 0
					    ? g_strdup_printf ("%" G_GINT64_FORMAT, api->max_tps_sandbox)
					    : NULL;
	gboolean secured = api->endpoint_security_type != NULL;

	g_string_append (out, "<overview>");
	art_field (out, "provider", provider);
	art_field (out, "name", api->name);
	art_field (out, "version", api->version);
	art_field (out, "isDefaultVersion", art_bool (api->is_default_version));
	art_field (out, "context", api->context);
	art_field (out, "contextTemplate", api->context_template);
	art_field (out, "versionType", "context");
	art_field (out, "type", api->type != NULL ? api->type : "HTTP");
	art_field (out, "description", api->description);
	art_field (out, "wsdl", api->wsdl_url);
	art_field (out, "wadl", NULL);
	art_field (out, "thumbnail", api->thumbnail_url);
	art_field (out, "status", api->status);
	art_field (out, "technicalOwner", api->technical_owner);
	art_field (out, "technicalOwnerEmail", api->technical_owner_email);
	art_field (out, "businessOwner", api->business_owner);
	art_field (out, "businessOwnerEmail", api->business_owner_email);
	art_field (out, "visibility", api->visibility);
	art_field (out, "visibleRoles", roles);
	art_field (out, "visibleTenants", tenants);
	art_field (out, "endpointSecured", art_bool (secured));
	art_field (out, "endpointAuthDigest",
		   art_bool (g_strcmp0 (api->endpoint_security_type, "digest") == 0));
	art_field (out, "endpointUsername", api->endpoint_username);
	art_field (out, "endpointPpassword", api->endpoint_password);
	art_field (out, "transports", transports);
	art_field (out, "inSequence", api->in_sequence);
	art_field (out, "outSequence", api->out_sequence);
	art_field (out, "faultSequence", api->fault_sequence);
	art_field (out, "responseCaching", api->response_caching ? "Enabled" : "Disabled");
	art_field (out, "cacheTimeout", timeout);
	art_field (out, "redirectURL", NULL);
	art_field (out, "apiOwner", NULL);
	art_field (out, "advertiseOnly", "false");
	art_field (out, "endpointConfig", api->endpoint_config);
	art_field (out, "subscriptionAvailability", api->subscription_availability);
	art_field (out, "tenants", sub_tenants);
	art_field (out, "implementation", "ENDPOINT");
	art_field (out, "productionTps", prod_tps);
	art_field (out, "sandboxTps", sand_tps);
	art_field (out, "authorizationHeader", api->authorization_header);
	art_field (out, "apiSecurity", "oauth2");
	art_field (out, "tier", tiers != NULL ? tiers : "");
	if (g_strcmp0 (api->status, "PUBLISHED") == 0)
		art_field (out, "isLatest", "true");
	art_field (out, "environments", envs);
	art_field (out, "corsConfiguration", cors);
	g_string_append (out, "</overview>");
	if (api->operations != NULL && api->operations->len > 0) {
		g_string_append (out, "<URITemplate>");
		for (guint i = 0; i < api->operations->len; i++) {
			const AmApiOperation *op = api->operations->pdata[i];
			char n[32];

			g_snprintf (n, sizeof n, "urlPattern%u", i);
			art_field (out, n, op->url_pattern);
			g_snprintf (n, sizeof n, "httpVerb%u", i);
			art_field (out, n, op->http_method);
			g_snprintf (n, sizeof n, "authType%u", i);
			art_field (out, n, am_api_auth_type_to_string (op->auth_type));
		}
		g_string_append (out, "</URITemplate>");
	}
	g_string_append (out, "</metadata>");
	return g_string_free (g_steal_pointer (&out), FALSE);
}

/* ---- reading ---------------------------------------------------------------- */

typedef GHashTable Attrs; /* "table_field" -> GPtrArray of char* */

static void
art_collect (Attrs *attrs, xmlNode *root)
{
	for (xmlNode *t = root->children; t != NULL; t = t->next) {
		if (t->type != XML_ELEMENT_NODE)
			continue;
		for (xmlNode *f = t->children; f != NULL; f = f->next) {
			g_autofree char *key = NULL;
			xmlChar *text;
			GPtrArray *values;

			if (f->type != XML_ELEMENT_NODE)
				continue;
			key = g_strconcat ((const char *) t->name, "_", (const char *) f->name, NULL);
			text = xmlNodeGetContent (f);
			values = g_hash_table_lookup (attrs, key);
			if (values == NULL) {
				values = g_ptr_array_new_with_free_func (g_free);
				g_hash_table_insert (attrs, g_strdup (key), values);
			}
			g_ptr_array_add (values, g_strdup (text != NULL ? (const char *) text : ""));
			xmlFree (text);
		}
	}
}

/* The value of @key, NULL when absent or empty. */
static const char *
art_get (Attrs *attrs, const char *key)
{
	GPtrArray *values = g_hash_table_lookup (attrs, key);
	const char *v = values != NULL && values->len > 0 ? values->pdata[0] : NULL;

	return v != NULL && *v != '\0' ? v : NULL;
}

static char *
art_dup (Attrs *attrs, const char *key)
{
	return g_strdup (art_get (attrs, key));
}

/* @key split on @sep, blanks dropped; NULL when absent. */
static char **
art_split (Attrs *attrs, const char *key, const char *sep)
{
	GPtrArray *values = g_hash_table_lookup (attrs, key);
	g_autoptr (GPtrArray) out = NULL;

	if (values == NULL)
		return NULL;
	out = g_ptr_array_new ();
	for (guint v = 0; v < values->len; v++) {
		g_auto (GStrv) parts = g_strsplit (values->pdata[v], sep, -1);
		for (guint i = 0; parts[i] != NULL; i++) {
			g_strstrip (parts[i]);
			if (*parts[i] != '\0')
				g_ptr_array_add (out, g_strdup (parts[i]));
		}
	}
	g_ptr_array_add (out, NULL);
	return (char **) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

static gint64
art_int (Attrs *attrs, const char *key, gint64 dflt)
{
	const char *v = art_get (attrs, key);
	gint64 n;

	return v != NULL && g_ascii_string_to_signed (v, 10, G_MININT64, G_MAXINT64, &n, NULL) ? n
											       : dflt;
}

static void
art_operations (Attrs *attrs, AmApi *api)
{
	for (guint i = 0;; i++) {
		char key[64];
		const char *pattern, *verb, *auth;
		AmApiAuthType type = AM_API_AUTH_ANY;

		g_snprintf (key, sizeof key, "URITemplate_urlPattern%u", i);
		pattern = art_get (attrs, key);
		g_snprintf (key, sizeof key, "URITemplate_httpVerb%u", i);
		verb = art_get (attrs, key);
		if (pattern == NULL || verb == NULL)
			break;
		g_snprintf (key, sizeof key, "URITemplate_authType%u", i);
		auth = art_get (attrs, key);
		if (auth != NULL)
			am_api_auth_type_from_string (auth, &type);
		g_ptr_array_add (api->operations,
				 am_api_operation_new (pattern, verb, type, "Unlimited", NULL));
	}
}

static AmApi *
art_build (Attrs *attrs, GError **error)
{
	g_autoptr (AmApi) api = am_api_new ();
	const char *v;

	if (art_get (attrs, "overview_name") == NULL || art_get (attrs, "overview_version") == NULL ||
	    art_get (attrs, "overview_provider") == NULL) {
		g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_CORRUPT,
			     "API artifact without overview name, version or provider");
		return NULL;
	}
	api->provider = am_api_provider_from_registry (art_get (attrs, "overview_provider"));
	api->name = art_dup (attrs, "overview_name");
	api->version = art_dup (attrs, "overview_version");
	api->context = art_dup (attrs, "overview_context");
	api->context_template = art_dup (attrs, "overview_contextTemplate");
	api->description = art_dup (attrs, "overview_description");
	if ((v = art_get (attrs, "overview_status")) != NULL) {
		g_free (api->status);
		api->status = g_ascii_strup (v, -1);
	}
	if ((v = art_get (attrs, "overview_type")) != NULL) {
		g_free (api->type);
		api->type = g_strdup (v);
	}
	if (g_hash_table_contains (attrs, "overview_transports")) {
		g_strfreev (api->transports);
		api->transports = art_split (attrs, "overview_transports", ",");
	}
	api->tiers = art_split (attrs, "overview_tier", "||");
	if ((v = art_get (attrs, "overview_visibility")) != NULL) {
		g_free (api->visibility);
		api->visibility = g_ascii_strdown (v, -1);
	}
	api->visible_roles = art_split (attrs, "overview_visibleRoles", ",");
	api->visible_tenants = art_split (attrs, "overview_visibleTenants", ",");
	api->endpoint_config = art_dup (attrs, "overview_endpointConfig");
	if (g_strcmp0 (art_get (attrs, "overview_endpointSecured"), "true") == 0)
		api->endpoint_security_type = g_strdup (
			g_strcmp0 (art_get (attrs, "overview_endpointAuthDigest"), "true") == 0
				? "digest"
				: "basic");
	api->endpoint_username = art_dup (attrs, "overview_endpointUsername");
	api->endpoint_password = art_dup (attrs, "overview_endpointPpassword");
	api->gateway_environments = art_split (attrs, "overview_environments", ",");
	api->is_default_version =
		g_strcmp0 (art_get (attrs, "overview_isDefaultVersion"), "true") == 0;
	api->in_sequence = art_dup (attrs, "overview_inSequence");
	api->out_sequence = art_dup (attrs, "overview_outSequence");
	api->fault_sequence = art_dup (attrs, "overview_faultSequence");
	v = art_get (attrs, "overview_responseCaching");
	api->response_caching = v != NULL && g_ascii_strcasecmp (v, "Enabled") == 0;
	api->cache_timeout = (int) art_int (attrs, "overview_cacheTimeout", 300);
	api->max_tps_production = art_int (attrs, "overview_productionTps", -1);
	api->max_tps_sandbox = art_int (attrs, "overview_sandboxTps", -1);
	api->business_owner = art_dup (attrs, "overview_businessOwner");
	api->business_owner_email = art_dup (attrs, "overview_businessOwnerEmail");
	api->technical_owner = art_dup (attrs, "overview_technicalOwner");
	api->technical_owner_email = art_dup (attrs, "overview_technicalOwnerEmail");
	api->thumbnail_url = art_dup (attrs, "overview_thumbnail");
	api->wsdl_url = art_dup (attrs, "overview_wsdl");
	if ((v = art_get (attrs, "overview_subscriptionAvailability")) != NULL) {
		g_free (api->subscription_availability);
		api->subscription_availability = g_strdup (v);
	}
	api->subscription_available_tenants = art_split (attrs, "overview_tenants", ",");
	api->authorization_header = art_dup (attrs, "overview_authorizationHeader");
	art_parse_cors (art_get (attrs, "overview_corsConfiguration"), &api->cors);
	art_operations (attrs, api);
	return g_steal_pointer (&api);
}

AmApi *
am_api_store_parse_artifact (const char *xml, GError **error)
{
	xmlDoc *doc;
	xmlNode *root;
	g_autoptr (GHashTable) attrs = NULL;
	AmApi *api = NULL;

	if (xml == NULL || strlen (xml) > G_MAXINT) {
		g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_CORRUPT,
			     "API artifact has no content");
		return NULL;
	}
	doc = xmlReadMemory (xml, (int) strlen (xml), "api", NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
				     XML_PARSE_NOCDATA);
	if (doc == NULL || doc->intSubset != NULL || (root = xmlDocGetRootElement (doc)) == NULL ||
	    strcmp ((const char *) root->name, "metadata") != 0 || root->ns == NULL ||
	    g_strcmp0 ((const char *) root->ns->href, GOV_NS) != 0) {
		g_set_error (error, AM_API_STORE_ERROR, AM_API_STORE_ERROR_CORRUPT,
			     "API artifact is not a governance <metadata> document");
		if (doc != NULL)
			xmlFreeDoc (doc);
		return NULL;
	}
	attrs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
				       (GDestroyNotify) g_ptr_array_unref);
	art_collect (attrs, root);
	xmlFreeDoc (doc);
	api = art_build (attrs, error);
	return api;
}
