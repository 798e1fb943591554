/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Publisher REST API's objects as API-M 2.x's Publisher v0.11 writes
 * and reads them (rest.api.publisher APIMappingUtil, EnvironmentMappingUtil,
 * TierMappingUtil, SubscriptionMappingUtil, ApplicationMappingUtil):
 * members in the DTOs' declared order, absent values written as null as
 * Jackson does, and the Publisher's conventions:
 *
 *   - context WITHOUT the version: the context template with its trailing
 *     "/{version}" dropped ("/pizzashack"), a "{version}" elsewhere kept;
 *     on input a context without "{version}" gets "/{version}" appended
 *     and a missing leading '/' added (fromDTOtoAPI);
 *   - visibility upper case (PUBLIC ...) in JSON, lower case in the model
 *     and the registry;
 *   - endpointConfig is a JSON text inside a string; apiDefinition is the
 *     swagger 2.0 text (the stored one, else generated from the
 *     operations); on input it replaces the operations and scopes;
 *   - gatewayEnvironments is one comma-separated string; absent on create
 *     means every configured environment, "none" means none
 *     (APIUtil.extractEnvironmentsForAPI);
 *   - maxTps {production, sandbox} or null when neither limit is set;
 *   - endpointSecurity {type basic|digest, username, password}: the
 *     password is never written back (""; an update that sends "" or none
 *     keeps the stored one) — WSO2 2.x echoes it; a REST read is no place
 *     for a backend credential;
 *   - Jackson's strictness on input: an unknown member is 400
 *     "Unrecognized property '<name>'", a missing required one or a value
 *     of the wrong type is a Bean Validation style item
 *     {"code": "400_<member>", "message": "<member>: <why>"} under
 *     "Validation Error".
 *
 * Everything here is pure (no I/O), so it is unit-tested directly.
 */
#define G_LOG_DOMAIN "am.publisher"
#include "config.h"

#include "am-publisher.h"

#include <string.h>

#include "am-pub-gateway.h"
#include "am-pub-swagger.h"

char *
am_pub_json_context (const AmApi *api)
{
	const char *tmpl = api->context_template;
	g_autofree char *suffix = NULL;

	if (tmpl == NULL || *tmpl == '\0') {
		/* no template: drop a trailing "/<version>" from the context */
		if (api->context == NULL)
			return NULL;
		suffix = g_strconcat ("/", api->version != NULL ? api->version : "", NULL);
		if (api->version != NULL && g_str_has_suffix (api->context, suffix) &&
		    strlen (api->context) > strlen (suffix))
			return g_strndup (api->context, strlen (api->context) - strlen (suffix));
		return g_strdup (api->context);
	}
	if (g_str_has_suffix (tmpl, "/{version}") && strlen (tmpl) > strlen ("/{version}"))
		return g_strndup (tmpl, strlen (tmpl) - strlen ("/{version}"));
	return g_strdup (tmpl);
}

JsonNode *
am_pub_api_info_json (const AmApi *api)
{
	g_autofree char *context = am_pub_json_context (api);

	return am_apimgt_api_info_json (api, context);
}

static void
add_sequence (JsonBuilder *b, const char *name, const char *type)
{
	if (name == NULL || *name == '\0')
		return;
	json_builder_begin_object (b);
	am_apimgt_json_add_string (b, "name", name);
	am_apimgt_json_add_string (b, "config", NULL);
	am_apimgt_json_add_string (b, "type", type);
	json_builder_end_object (b);
}

JsonNode *
am_pub_api_json (const AmApi *api)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();
	g_autofree char *context = am_pub_json_context (api);
	g_autofree char *swagger = api->swagger != NULL ? g_strdup (api->swagger)
						       : am_pub_swagger_generate (api, FALSE);
	g_autofree char *visibility = g_ascii_strup (api->visibility != NULL ? api->visibility
									    : "public",
						     -1);
	g_autofree char *envs = api->gateway_environments != NULL
					? g_strjoinv (",", api->gateway_environments)
					: g_strdup ("");

	json_builder_begin_object (b);
	am_apimgt_json_add_api_head (b, api, context);
	am_apimgt_json_add_string (b, "apiDefinition", swagger);
	am_apimgt_json_add_string (b, "wsdlUri", api->wsdl_url);
	am_apimgt_json_add_string (b, "status", api->status);
	am_apimgt_json_add_string (b, "responseCaching",
				   api->response_caching ? "Enabled" : "Disabled");
	json_builder_set_member_name (b, "cacheTimeout");
	json_builder_add_int_value (b, api->cache_timeout);
	am_apimgt_json_add_string (b, "destinationStatsEnabled", NULL);
	am_apimgt_json_add_bool (b, "isDefaultVersion", api->is_default_version);
	am_apimgt_json_add_string (b, "type", api->type != NULL ? api->type : "HTTP");
	am_apimgt_json_add_strv (b, "transport", (const char *const *) api->transports);
	am_apimgt_json_add_strv (b, "tags", (const char *const *) api->tags);
	am_apimgt_json_add_strv (b, "tiers", (const char *const *) api->tiers);
	am_apimgt_json_add_string (b, "apiLevelPolicy", api->api_level_policy);
	am_apimgt_json_add_string (b, "authorizationHeader", api->authorization_header);
	json_builder_set_member_name (b, "maxTps");
	if (api->max_tps_production < 0 && api->max_tps_sandbox < 0) {
		json_builder_add_null_value (b);
	} else {
		json_builder_begin_object (b);
		json_builder_set_member_name (b, "production");
		if (api->max_tps_production >= 0)
			json_builder_add_int_value (b, api->max_tps_production);
		else
			json_builder_add_null_value (b);
		json_builder_set_member_name (b, "sandbox");
		if (api->max_tps_sandbox >= 0)
			json_builder_add_int_value (b, api->max_tps_sandbox);
		else
			json_builder_add_null_value (b);
		json_builder_end_object (b);
	}
	am_apimgt_json_add_string (b, "thumbnailUri", api->thumbnail_url);
	am_apimgt_json_add_string (b, "visibility", visibility);
	am_apimgt_json_add_strv (b, "visibleRoles", (const char *const *) api->visible_roles);
	am_apimgt_json_add_strv (b, "visibleTenants", (const char *const *) api->visible_tenants);
	am_apimgt_json_add_string (b, "endpointConfig", api->endpoint_config);
	json_builder_set_member_name (b, "endpointSecurity");
	if (api->endpoint_security_type != NULL) {
		json_builder_begin_object (b);
		am_apimgt_json_add_string (b, "type", api->endpoint_security_type);
		am_apimgt_json_add_string (b, "username", api->endpoint_username);
		am_apimgt_json_add_string (b, "password", "");
		json_builder_end_object (b);
	} else {
		json_builder_add_null_value (b);
	}
	am_apimgt_json_add_string (b, "gatewayEnvironments", envs);
	json_builder_set_member_name (b, "sequences");
	json_builder_begin_array (b);
	add_sequence (b, api->in_sequence, "in");
	add_sequence (b, api->out_sequence, "out");
	add_sequence (b, api->fault_sequence, "fault");
	json_builder_end_array (b);
	am_apimgt_json_add_string (b, "subscriptionAvailability", api->subscription_availability);
	am_apimgt_json_add_strv (b, "subscriptionAvailableTenants",
				 (const char *const *) api->subscription_available_tenants);
	am_apimgt_json_add_business (b, api);
	json_builder_set_member_name (b, "corsConfiguration");
	json_builder_begin_object (b);
	am_apimgt_json_add_bool (b, "corsConfigurationEnabled", api->cors.enabled);
	am_apimgt_json_add_strv (b, "accessControlAllowOrigins",
				 (const char *const *) api->cors.allow_origins);
	am_apimgt_json_add_bool (b, "accessControlAllowCredentials", api->cors.allow_credentials);
	am_apimgt_json_add_strv (b, "accessControlAllowHeaders",
				 (const char *const *) api->cors.allow_headers);
	am_apimgt_json_add_strv (b, "accessControlAllowMethods",
				 (const char *const *) api->cors.allow_methods);
	json_builder_end_object (b);
	json_builder_end_object (b);
	return json_builder_get_root (b);
}

/* ---- the API object on input ---- */

typedef struct {
	GPtrArray *items; /* code, message pairs; may be NULL */
	int n_bad;
} Parse;

static void
parse_bad (Parse *p, const char *member, const char *why)
{
	g_autofree char *code = g_strdup_printf ("400_%s", member);
	g_autofree char *msg = g_strdup_printf ("%s: %s", member, why);

	if (p->items != NULL) {
		g_ptr_array_add (p->items, g_steal_pointer (&code));
		g_ptr_array_add (p->items, g_steal_pointer (&msg));
	}
	p->n_bad++;
}

static gboolean
node_null (JsonNode *n)
{
	return n == NULL || JSON_NODE_HOLDS_NULL (n);
}

/* A string member: TRUE with *out (NULL for null) or FALSE after an item. */
static gboolean
get_string (Parse *p, JsonNode *n, const char *member, const char **out)
{
	*out = NULL;
	if (node_null (n))
		return TRUE;
	if (json_node_get_value_type (n) != G_TYPE_STRING) {
		parse_bad (p, member, "must be a string");
		return FALSE;
	}
	*out = json_node_get_string (n);
	return TRUE;
}

static void
set_string (Parse *p, JsonNode *n, const char *member, char **field)
{
	const char *s;

	if (get_string (p, n, member, &s)) {
		g_free (*field);
		*field = g_strdup (s);
	}
}

/* A string array member (null: empty). */
static gboolean
get_strv (Parse *p, JsonNode *n, const char *member, char ***out)
{
	JsonArray *a;
	GPtrArray *v;

	*out = NULL;
	if (node_null (n)) {
		*out = g_new0 (char *, 1);
		return TRUE;
	}
	if (!JSON_NODE_HOLDS_ARRAY (n)) {
		parse_bad (p, member, "must be a list of strings");
		return FALSE;
	}
	a = json_node_get_array (n);
	v = g_ptr_array_new ();
	for (guint i = 0; i < json_array_get_length (a); i++) {
		JsonNode *e = json_array_get_element (a, i);

		if (json_node_get_value_type (e) != G_TYPE_STRING) {
			g_ptr_array_free (v, TRUE);
			parse_bad (p, member, "must be a list of strings");
			return FALSE;
		}
		g_ptr_array_add (v, g_strdup (json_node_get_string (e)));
	}
	g_ptr_array_add (v, NULL);
	*out = (char **) g_ptr_array_free (v, FALSE);
	return TRUE;
}

static void
set_strv (Parse *p, JsonNode *n, const char *member, char ***field)
{
	char **v;

	if (get_strv (p, n, member, &v)) {
		g_strfreev (*field);
		*field = v;
	}
}

static gboolean
get_bool (Parse *p, JsonNode *n, const char *member, gboolean *out)
{
	if (node_null (n))
		return FALSE;
	if (json_node_get_value_type (n) != G_TYPE_BOOLEAN) {
		parse_bad (p, member, "must be a boolean");
		return FALSE;
	}
	*out = json_node_get_boolean (n);
	return TRUE;
}

/* An integer member >= 0; null gives -1. */
static gboolean
get_count (Parse *p, JsonNode *n, const char *member, gint64 *out)
{
	if (node_null (n)) {
		*out = -1;
		return TRUE;
	}
	if (json_node_get_value_type (n) != G_TYPE_INT64 || json_node_get_int (n) < 0) {
		parse_bad (p, member, "must be a number, 0 or more");
		return FALSE;
	}
	*out = json_node_get_int (n);
	return TRUE;
}

/* @value (any case) among @allowed; the canonical spelling, else NULL. */
static const char *
one_of (const char *value, const char *const *allowed)
{
	for (guint i = 0; value != NULL && allowed[i] != NULL; i++)
		if (g_ascii_strcasecmp (value, allowed[i]) == 0)
			return allowed[i];
	return NULL;
}

static void
parse_context (Parse *p, JsonNode *n, AmApi *api)
{
	const char *s;
	g_autofree char *ctx = NULL;

	if (!get_string (p, n, "context", &s) || s == NULL)
		return;
	ctx = g_strstrip (g_strdup (s));
	if (*ctx == '\0') {
		parse_bad (p, "context", "may not be empty");
		return;
	}
	if (ctx[0] != '/') {
		char *with = g_strconcat ("/", ctx, NULL);

		g_free (ctx);
		ctx = with;
	}
	if (strlen (ctx) > 1 && g_str_has_suffix (ctx, "/")) {
		parse_bad (p, "context", "Context cannot end with '/' character");
		return;
	}
	g_free (api->context_template);
	api->context_template = strstr (ctx, "{version}") != NULL
					? g_strdup (ctx)
					: g_strconcat (ctx, "/{version}", NULL);
	/* the stored context follows from the template and the version */
	g_free (api->context);
	api->context = g_steal_pointer (&ctx);
}

static void
parse_endpoint_config (Parse *p, JsonNode *n, AmApi *api)
{
	const char *s;
	g_autoptr (JsonParser) parser = NULL;

	if (!get_string (p, n, "endpointConfig", &s) || s == NULL)
		return;
	parser = json_parser_new ();
	if (!json_parser_load_from_data (parser, s, -1, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
		parse_bad (p, "endpointConfig", "must be a JSON object in a string");
		return;
	}
	g_free (api->endpoint_config);
	api->endpoint_config = g_strdup (s);
}

static void
parse_endpoint_security (Parse *p, JsonNode *n, AmApi *api)
{
	static const char *const types[] = { "basic", "digest", NULL };
	JsonObject *o;
	const char *type = NULL, *user = NULL, *password = NULL;

	if (node_null (n)) {
		g_clear_pointer (&api->endpoint_security_type, g_free);
		g_clear_pointer (&api->endpoint_username, g_free);
		g_clear_pointer (&api->endpoint_password, g_free);
		return;
	}
	if (!JSON_NODE_HOLDS_OBJECT (n)) {
		parse_bad (p, "endpointSecurity", "must be an object");
		return;
	}
	o = json_node_get_object (n);
	if (!get_string (p, json_object_get_member (o, "type"), "endpointSecurity.type", &type) ||
	    !get_string (p, json_object_get_member (o, "username"), "endpointSecurity.username",
			 &user) ||
	    !get_string (p, json_object_get_member (o, "password"), "endpointSecurity.password",
			 &password))
		return;
	if (type == NULL || one_of (type, types) == NULL) {
		parse_bad (p, "endpointSecurity.type", "must be basic or digest");
		return;
	}
	/* the password is not shown: "" or none keeps the stored one for the
	 * same user */
	if ((password == NULL || *password == '\0') &&
	    g_strcmp0 (user, api->endpoint_username) == 0)
		password = api->endpoint_password;
	{
		g_autofree char *keep = g_strdup (password);

		g_free (api->endpoint_security_type);
		api->endpoint_security_type = g_strdup (one_of (type, types));
		g_free (api->endpoint_username);
		api->endpoint_username = g_strdup (user);
		g_free (api->endpoint_password);
		api->endpoint_password = g_steal_pointer (&keep);
	}
}

static void
parse_environments (Parse *p, JsonNode *n, AmApi *api, const AmApimConf *apim)
{
	const char *s;
	g_auto (GStrv) parts = NULL;
	GPtrArray *v;

	if (!get_string (p, n, "gatewayEnvironments", &s))
		return;
	v = g_ptr_array_new ();
	if (s == NULL) {
		/* null: every configured environment */
		for (guint i = 0; apim != NULL && apim->environments != NULL &&
				  i < apim->environments->len;
		     i++) {
			const AmEnvironmentConf *e = g_ptr_array_index (apim->environments, i);

			g_ptr_array_add (v, g_strdup (e->name));
		}
	} else {
		parts = g_strsplit (s, ",", -1);
		for (guint i = 0; parts[i] != NULL; i++) {
			char *name = g_strstrip (parts[i]);
			gboolean dup = FALSE;

			if (*name == '\0')
				continue;
			if (g_ascii_strcasecmp (name, "none") == 0) {
				for (guint j = 0; j < v->len; j++)
					g_free (v->pdata[j]);
				g_ptr_array_set_size (v, 0);
				break;
			}
			if (apim != NULL && am_apim_conf_find_environment (apim, name) == NULL) {
				g_autofree char *why =
					g_strdup_printf ("no gateway environment is named '%s'", name);

				parse_bad (p, "gatewayEnvironments", why);
				for (guint j = 0; j < v->len; j++)
					g_free (v->pdata[j]);
				g_ptr_array_free (v, TRUE);
				return;
			}
			for (guint j = 0; j < v->len; j++)
				dup |= strcmp (v->pdata[j], name) == 0;
			if (!dup)
				g_ptr_array_add (v, g_strdup (name));
		}
	}
	g_ptr_array_add (v, NULL);
	g_strfreev (api->gateway_environments);
	api->gateway_environments = (char **) g_ptr_array_free (v, FALSE);
}

static void
parse_sequences (Parse *p, JsonNode *n, AmApi *api)
{
	JsonArray *a;
	char *in = NULL, *out = NULL, *fault = NULL;

	if (!node_null (n) && !JSON_NODE_HOLDS_ARRAY (n)) {
		parse_bad (p, "sequences", "must be a list of {name, type}");
		return;
	}
	a = node_null (n) ? NULL : json_node_get_array (n);
	for (guint i = 0; a != NULL && i < json_array_get_length (a); i++) {
		JsonNode *e = json_array_get_element (a, i);
		const char *name = NULL, *type = NULL;
		char **slot;

		if (!JSON_NODE_HOLDS_OBJECT (e) ||
		    !get_string (p, json_object_get_member (json_node_get_object (e), "name"),
				 "sequences.name", &name) ||
		    !get_string (p, json_object_get_member (json_node_get_object (e), "type"),
				 "sequences.type", &type) ||
		    name == NULL || type == NULL) {
			parse_bad (p, "sequences", "each item needs a name and a type");
			break;
		}
		slot = g_ascii_strcasecmp (type, "in") == 0	 ? &in
		       : g_ascii_strcasecmp (type, "out") == 0	 ? &out
		       : g_ascii_strcasecmp (type, "fault") == 0 ? &fault
								 : NULL;
		if (slot == NULL) {
			parse_bad (p, "sequences.type", "must be in, out or fault");
			break;
		}
		g_free (*slot);
		*slot = g_strdup (name);
	}
	g_free (api->in_sequence);
	g_free (api->out_sequence);
	g_free (api->fault_sequence);
	api->in_sequence = in;
	api->out_sequence = out;
	api->fault_sequence = fault;
}

static void
parse_business (Parse *p, JsonNode *n, AmApi *api)
{
	JsonObject *o;

	if (node_null (n))
		return;
	if (!JSON_NODE_HOLDS_OBJECT (n)) {
		parse_bad (p, "businessInformation", "must be an object");
		return;
	}
	o = json_node_get_object (n);
	set_string (p, json_object_get_member (o, "businessOwner"),
		    "businessInformation.businessOwner", &api->business_owner);
	set_string (p, json_object_get_member (o, "businessOwnerEmail"),
		    "businessInformation.businessOwnerEmail", &api->business_owner_email);
	set_string (p, json_object_get_member (o, "technicalOwner"),
		    "businessInformation.technicalOwner", &api->technical_owner);
	set_string (p, json_object_get_member (o, "technicalOwnerEmail"),
		    "businessInformation.technicalOwnerEmail", &api->technical_owner_email);
}

static void
parse_cors (Parse *p, JsonNode *n, AmApi *api)
{
	JsonObject *o;
	gboolean flag;

	if (node_null (n))
		return;
	if (!JSON_NODE_HOLDS_OBJECT (n)) {
		parse_bad (p, "corsConfiguration", "must be an object");
		return;
	}
	o = json_node_get_object (n);
	if (get_bool (p, json_object_get_member (o, "corsConfigurationEnabled"),
		      "corsConfiguration.corsConfigurationEnabled", &flag))
		api->cors.enabled = flag;
	if (get_bool (p, json_object_get_member (o, "accessControlAllowCredentials"),
		      "corsConfiguration.accessControlAllowCredentials", &flag))
		api->cors.allow_credentials = flag;
	if (json_object_has_member (o, "accessControlAllowOrigins"))
		set_strv (p, json_object_get_member (o, "accessControlAllowOrigins"),
			  "corsConfiguration.accessControlAllowOrigins", &api->cors.allow_origins);
	if (json_object_has_member (o, "accessControlAllowHeaders"))
		set_strv (p, json_object_get_member (o, "accessControlAllowHeaders"),
			  "corsConfiguration.accessControlAllowHeaders", &api->cors.allow_headers);
	if (json_object_has_member (o, "accessControlAllowMethods"))
		set_strv (p, json_object_get_member (o, "accessControlAllowMethods"),
			  "corsConfiguration.accessControlAllowMethods", &api->cors.allow_methods);
}

static void
parse_max_tps (Parse *p, JsonNode *n, AmApi *api)
{
	JsonObject *o;
	gint64 prod = -1, sandbox = -1;

	if (!node_null (n)) {
		if (!JSON_NODE_HOLDS_OBJECT (n)) {
			parse_bad (p, "maxTps", "must be an object {production, sandbox}");
			return;
		}
		o = json_node_get_object (n);
		if (!get_count (p, json_object_get_member (o, "production"), "maxTps.production",
				&prod) ||
		    !get_count (p, json_object_get_member (o, "sandbox"), "maxTps.sandbox",
				&sandbox))
			return;
	}
	api->max_tps_production = prod;
	api->max_tps_sandbox = sandbox;
}

/* The resources of an API created without a definition: what the 2.x
 * Publisher's design page starts with, the URL pattern "/" "*" for the
 * usual verbs. */
static void
default_operations (AmApi *api)
{
	static const char *const verbs[] = { "GET", "PUT", "POST", "DELETE", "PATCH", NULL };

	for (guint i = 0; verbs[i] != NULL; i++)
		g_ptr_array_add (api->operations,
				 am_api_operation_new ("/*", verbs[i], AM_API_AUTH_ANY, "Unlimited",
						       NULL));
}

/* Members of the v0.11 API object (anything else is refused). */
static const char *const api_members[] = {
	"id",
	"name",
	"description",
	"context",
	"version",
	"provider",
	"apiDefinition",
	"wsdlUri",
	"status",
	"responseCaching",
	"cacheTimeout",
	"destinationStatsEnabled",
	"isDefaultVersion",
	"type",
	"transport",
	"tags",
	"tiers",
	"apiLevelPolicy",
	"authorizationHeader",
	"maxTps",
	"thumbnailUri",
	"visibility",
	"visibleRoles",
	"visibleTenants",
	"endpointConfig",
	"endpointSecurity",
	"gatewayEnvironments",
	"sequences",
	"subscriptionAvailability",
	"subscriptionAvailableTenants",
	"businessInformation",
	"corsConfiguration",
	NULL,
};

gboolean
am_pub_api_from_json (JsonNode *body, AmApi *api, gboolean create, const AmApimConf *apim,
		      GPtrArray *items, GError **error)
{
	static const char *const required[] = { "name",	      "context",	  "version",
						"tiers",      "isDefaultVersion", "transport",
						"endpointConfig", "visibility",	  "type",
						NULL };
	static const char *const visibilities[] = { "public", "private", "restricted",
						    "controlled", NULL };
	static const char *const types[] = { "HTTP", "WS", NULL };
	static const char *const transports[] = { "http", "https", NULL };
	static const char *const availabilities[] = { "current_tenant", "all_tenants",
						      "specific_tenants", NULL };
	Parse p = { items, 0 };
	JsonObject *o;
	g_autoptr (GList) members = NULL;
	const char *s;
	gboolean flag;
	gint64 count;

	if (body == NULL || !JSON_NODE_HOLDS_OBJECT (body)) {
		am_rest_bad_request (error, AM_REST_MALFORMED_BODY);
		return FALSE;
	}
	o = json_node_get_object (body);
	members = json_object_get_members (o);
	for (GList *l = members; l != NULL; l = l->next) {
		if (!g_strv_contains (api_members, l->data)) {
			g_autofree char *msg =
				g_strdup_printf ("Unrecognized property '%s'", (char *) l->data);

			am_rest_bad_request (error, msg);
			return FALSE;
		}
	}
	if (create) {
		for (guint i = 0; required[i] != NULL; i++)
			if (node_null (json_object_get_member (o, required[i])))
				parse_bad (&p, required[i], "may not be null");
	}
#define M(name) json_object_get_member (o, name)
#define HAS(name) json_object_has_member (o, name)
	if (HAS ("name"))
		set_string (&p, M ("name"), "name", &api->name);
	if (HAS ("version"))
		set_string (&p, M ("version"), "version", &api->version);
	if (HAS ("provider") && !node_null (M ("provider")))
		set_string (&p, M ("provider"), "provider", &api->provider);
	if (HAS ("description"))
		set_string (&p, M ("description"), "description", &api->description);
	if (HAS ("context"))
		parse_context (&p, M ("context"), api);
	if (HAS ("wsdlUri"))
		set_string (&p, M ("wsdlUri"), "wsdlUri", &api->wsdl_url);
	if (HAS ("thumbnailUri"))
		set_string (&p, M ("thumbnailUri"), "thumbnailUri", &api->thumbnail_url);
	if (HAS ("apiLevelPolicy"))
		set_string (&p, M ("apiLevelPolicy"), "apiLevelPolicy", &api->api_level_policy);
	if (HAS ("authorizationHeader"))
		set_string (&p, M ("authorizationHeader"), "authorizationHeader",
			    &api->authorization_header);
	if (HAS ("destinationStatsEnabled"))
		get_string (&p, M ("destinationStatsEnabled"), "destinationStatsEnabled", &s);
	if (HAS ("status"))
		get_string (&p, M ("status"), "status", &s); /* read-only: lifecycle only */
	if (HAS ("id"))
		get_string (&p, M ("id"), "id", &s); /* read-only */
	if (get_string (&p, M ("responseCaching"), "responseCaching", &s) && s != NULL) {
		if (g_ascii_strcasecmp (s, "Enabled") == 0)
			api->response_caching = TRUE;
		else if (g_ascii_strcasecmp (s, "Disabled") == 0)
			api->response_caching = FALSE;
		else
			parse_bad (&p, "responseCaching", "must be Enabled or Disabled");
	}
	if (HAS ("cacheTimeout") && get_count (&p, M ("cacheTimeout"), "cacheTimeout", &count) &&
	    count >= 0)
		api->cache_timeout = (int) MIN (count, G_MAXINT);
	if (get_bool (&p, M ("isDefaultVersion"), "isDefaultVersion", &flag))
		api->is_default_version = flag;
	if (get_string (&p, M ("type"), "type", &s) && s != NULL) {
		if (one_of (s, types) == NULL) {
			parse_bad (&p, "type", "must be HTTP or WS");
		} else {
			g_free (api->type);
			api->type = g_strdup (one_of (s, types));
		}
	}
	if (!node_null (M ("transport"))) {
		char **v = NULL;

		if (get_strv (&p, M ("transport"), "transport", &v)) {
			gboolean ok = v[0] != NULL;

			for (guint i = 0; v[i] != NULL; i++) {
				const char *t = one_of (v[i], transports);

				if (t == NULL) {
					ok = FALSE;
				} else {
					g_free (v[i]);
					v[i] = g_strdup (t);
				}
			}
			if (ok) {
				g_strfreev (api->transports);
				api->transports = v;
			} else {
				g_strfreev (v);
				parse_bad (&p, "transport", "must be a non-empty list of http, https");
			}
		}
	}
	if (HAS ("tags"))
		set_strv (&p, M ("tags"), "tags", &api->tags);
	if (HAS ("tiers") && !node_null (M ("tiers")))
		set_strv (&p, M ("tiers"), "tiers", &api->tiers);
	if (HAS ("maxTps"))
		parse_max_tps (&p, M ("maxTps"), api);
	if (get_string (&p, M ("visibility"), "visibility", &s) && s != NULL) {
		if (one_of (s, visibilities) == NULL) {
			parse_bad (&p, "visibility",
				   "must be PUBLIC, PRIVATE, RESTRICTED or CONTROLLED");
		} else {
			g_free (api->visibility);
			api->visibility = g_strdup (one_of (s, visibilities));
		}
	}
	if (HAS ("visibleRoles"))
		set_strv (&p, M ("visibleRoles"), "visibleRoles", &api->visible_roles);
	if (HAS ("visibleTenants"))
		set_strv (&p, M ("visibleTenants"), "visibleTenants", &api->visible_tenants);
	if (HAS ("endpointConfig"))
		parse_endpoint_config (&p, M ("endpointConfig"), api);
	if (HAS ("endpointSecurity"))
		parse_endpoint_security (&p, M ("endpointSecurity"), api);
	if (HAS ("gatewayEnvironments") || create)
		parse_environments (&p, M ("gatewayEnvironments"), api, apim);
	if (HAS ("sequences"))
		parse_sequences (&p, M ("sequences"), api);
	if (get_string (&p, M ("subscriptionAvailability"), "subscriptionAvailability", &s) &&
	    s != NULL) {
		if (one_of (s, availabilities) == NULL) {
			parse_bad (&p, "subscriptionAvailability",
				   "must be current_tenant, all_tenants or specific_tenants");
		} else {
			g_free (api->subscription_availability);
			api->subscription_availability = g_strdup (one_of (s, availabilities));
		}
	}
	if (HAS ("subscriptionAvailableTenants"))
		set_strv (&p, M ("subscriptionAvailableTenants"), "subscriptionAvailableTenants",
			  &api->subscription_available_tenants);
	if (HAS ("businessInformation"))
		parse_business (&p, M ("businessInformation"), api);
	if (HAS ("corsConfiguration"))
		parse_cors (&p, M ("corsConfiguration"), api);
	if (get_string (&p, M ("apiDefinition"), "apiDefinition", &s) && s != NULL) {
		g_autoptr (GError) local = NULL;

		if (!am_pub_swagger_apply (api, s, &local))
			parse_bad (&p, "apiDefinition", local->message);
	}
#undef M
#undef HAS
	if (p.n_bad > 0) {
		g_set_error_literal (error, AM_REST_ERROR, AM_REST_ERROR_BAD_REQUEST,
				     "Validation Error");
		return FALSE;
	}
	if (create && api->operations->len == 0) {
		default_operations (api);
		g_clear_pointer (&api->swagger, g_free);
	}
	if (api->swagger == NULL)
		api->swagger = am_pub_swagger_generate (api, FALSE);
	return TRUE;
}

/* ---- environments, applications ---- */

JsonNode *
am_pub_environment_json (const AmEnvironmentConf *env)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();
	g_autofree char *http = NULL, *https = NULL;

	for (guint i = 0; env->gateway_endpoints != NULL && env->gateway_endpoints[i] != NULL;
	     i++) {
		g_autofree char *ep = g_strstrip (g_strdup (env->gateway_endpoints[i]));

		if (g_ascii_strncasecmp (ep, "https:", 6) == 0) {
			if (https == NULL)
				https = g_steal_pointer (&ep);
		} else if (g_ascii_strncasecmp (ep, "http:", 5) == 0 && http == NULL) {
			http = g_steal_pointer (&ep);
		}
	}
	json_builder_begin_object (b);
	am_apimgt_json_add_string (b, "name", env->name);
	am_apimgt_json_add_string (b, "type", am_apimgt_environment_type_name (env->type));
	am_apimgt_json_add_string (b, "serverUrl", env->server_url);
	am_apimgt_json_add_bool (b, "showInApiConsole", env->api_console);
	json_builder_set_member_name (b, "endpoints");
	json_builder_begin_object (b);
	am_apimgt_json_add_string (b, "http", http);
	am_apimgt_json_add_string (b, "https", https);
	json_builder_end_object (b);
	json_builder_end_object (b);
	return json_builder_get_root (b);
}

JsonNode *
am_pub_application_json (const AmApplication *app)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();

	json_builder_begin_object (b);
	am_apimgt_json_add_application (b, app, FALSE, FALSE);
	json_builder_end_object (b);
	return json_builder_get_root (b);
}

/* ---- failedGateways ---- */

static guint
add_failures (JsonBuilder *b, const char *key, const GPtrArray *results)
{
	guint n = 0;

	json_builder_set_member_name (b, key);
	json_builder_begin_object (b);
	for (guint i = 0; results != NULL && i < results->len; i++) {
		const AmPubGatewayResult *r = g_ptr_array_index (results, i);

		if (r->error == NULL)
			continue;
		am_apimgt_json_add_string (b, r->environment, r->error);
		n++;
	}
	json_builder_end_object (b);
	return n;
}

JsonNode *
am_pub_failed_gateways_json (const GPtrArray *published, const GPtrArray *removed)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();
	guint n;

	json_builder_begin_object (b);
	n = add_failures (b, "PUBLISHED", published);
	n += add_failures (b, "UNPUBLISHED", removed);
	json_builder_end_object (b);
	return n > 0 ? json_builder_get_root (b) : NULL;
}
