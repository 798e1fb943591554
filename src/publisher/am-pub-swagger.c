/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Swagger 2.0 <-> the API model, as WSO2 API-M 2.x reads and writes it.
 *
 * Reading (APIDefinitionFromSwagger20.getURITemplates / getScopes): every
 * path x verb is an operation; its x-auth-type ("Application & Application
 * User", "Application User", "Application", "None", or the AUTH_SCHEME
 * forms; "Any" when absent), x-throttling-tier ("Unlimited" when absent)
 * and x-scope (a key of x-wso2-security.apim.x-wso2-scopes, whose entries
 * carry key, name, description and roles as comma text).  Path-level
 * "parameters", "$ref" and x- extensions are not operations.  What WSO2
 * would choke on or silently misread is refused with the JSON path of the
 * problem: not JSON, not swagger 2.0 (OpenAPI 3 came with API-M 3.x), a
 * path without a leading '/', an unknown verb, a non-string extension, an
 * undefined or duplicate scope.
 *
 * Writing (generateAPIDefinition, 2.6 with path parameters): {"paths",
 * "swagger":"2.0", "x-wso2-security", "info"} — json-simple's JSONObject is
 * a HashMap, so members come out in HashMap order, which is reproduced
 * here (am_pub_java_hash_order).  json-simple also escapes '/' as "\/";
 * that is not reproduced (same JSON value).
 */
#include "config.h"

#include "am-pub-swagger.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "am-pub-util.h"

static const char *const swagger_verbs[] = { "get",   "put",  "post",    "delete",
					     "patch", "head", "options", NULL };

static gboolean
swagger_invalid (GError **error, const char *path, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
swagger_invalid (GError **error, const char *path, const char *format, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start (ap, format);
	msg = g_strdup_vprintf (format, ap);
	va_end (ap);
	g_set_error (error, AM_PUB_ERROR, AM_PUB_ERROR_INVALID, "%s: %s", path, msg);
	return FALSE;
}

/* An optional string member; FALSE (with the path) when it is not a string. */
static gboolean
swagger_string (JsonObject *o, const char *member, const char *path, const char **out,
		GError **error)
{
	JsonNode *node = json_object_get_member (o, member);

	*out = NULL;
	if (node == NULL || JSON_NODE_HOLDS_NULL (node))
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING) {
		g_autofree char *mpath = g_strdup_printf ("%s['%s']", path, member);

		return swagger_invalid (error, mpath, "not a string");
	}
	*out = json_node_get_string (node);
	return TRUE;
}

/* roles: comma text as WSO2 stores it, or (tolerated) an array of names. */
static gboolean
swagger_roles (JsonObject *o, const char *path, char ***out, GError **error)
{
	JsonNode *node = json_object_get_member (o, "roles");
	g_autofree char *rpath = g_strdup_printf ("%s.roles", path);
	g_autoptr (GPtrArray) roles = g_ptr_array_new_with_free_func (g_free);

	if (node == NULL || JSON_NODE_HOLDS_NULL (node)) {
		/* nothing */
	} else if (JSON_NODE_HOLDS_VALUE (node) &&
		   json_node_get_value_type (node) == G_TYPE_STRING) {
		g_auto (GStrv) parts = g_strsplit (json_node_get_string (node), ",", -1);

		for (guint i = 0; parts[i] != NULL; i++) {
			g_strstrip (parts[i]);
			if (parts[i][0] != '\0')
				g_ptr_array_add (roles, g_strdup (parts[i]));
		}
	} else if (JSON_NODE_HOLDS_ARRAY (node)) {
		JsonArray *a = json_node_get_array (node);

		for (guint i = 0; i < json_array_get_length (a); i++) {
			JsonNode *item = json_array_get_element (a, i);

			if (!JSON_NODE_HOLDS_VALUE (item) ||
			    json_node_get_value_type (item) != G_TYPE_STRING) {
				g_autofree char *ipath = g_strdup_printf ("%s[%u]", rpath, i);

				return swagger_invalid (error, ipath, "not a role name");
			}
			g_ptr_array_add (roles, g_strstrip (g_strdup (json_node_get_string (item))));
		}
	} else {
		return swagger_invalid (error, rpath, "not a comma-separated list of roles");
	}
	g_ptr_array_add (roles, NULL);
	*out = (char **) g_ptr_array_free (g_steal_pointer (&roles), FALSE);
	return TRUE;
}

static gboolean
swagger_parse_scopes (JsonObject *root, GPtrArray *scopes, GError **error)
{
	JsonNode *sec = json_object_get_member (root, "x-wso2-security");
	JsonNode *apim, *list;
	JsonArray *a;
	const char *base = "$['x-wso2-security']";

	if (sec == NULL || JSON_NODE_HOLDS_NULL (sec))
		return TRUE;
	if (!JSON_NODE_HOLDS_OBJECT (sec))
		return swagger_invalid (error, base, "not an object");
	apim = json_object_get_member (json_node_get_object (sec), "apim");
	if (apim == NULL || JSON_NODE_HOLDS_NULL (apim))
		return TRUE;
	if (!JSON_NODE_HOLDS_OBJECT (apim))
		return swagger_invalid (error, "$['x-wso2-security'].apim", "not an object");
	list = json_object_get_member (json_node_get_object (apim), "x-wso2-scopes");
	if (list == NULL || JSON_NODE_HOLDS_NULL (list))
		return TRUE;
	if (!JSON_NODE_HOLDS_ARRAY (list))
		return swagger_invalid (error, "$['x-wso2-security'].apim['x-wso2-scopes']",
					"not an array");
	a = json_node_get_array (list);
	for (guint i = 0; i < json_array_get_length (a); i++) {
		g_autofree char *path =
			g_strdup_printf ("$['x-wso2-security'].apim['x-wso2-scopes'][%u]", i);
		JsonNode *item = json_array_get_element (a, i);
		JsonObject *o;
		const char *key, *name, *description;
		g_auto (GStrv) roles = NULL;

		if (!JSON_NODE_HOLDS_OBJECT (item))
			return swagger_invalid (error, path, "not a scope object");
		o = json_node_get_object (item);
		if (!swagger_string (o, "key", path, &key, error) ||
		    !swagger_string (o, "name", path, &name, error) ||
		    !swagger_string (o, "description", path, &description, error) ||
		    !swagger_roles (o, path, &roles, error))
			return FALSE;
		if (key == NULL || key[0] == '\0') {
			g_autofree char *kpath = g_strdup_printf ("%s.key", path);

			return swagger_invalid (error, kpath, "missing");
		}
		for (guint j = 0; j < scopes->len; j++) {
			const AmApiScope *s = g_ptr_array_index (scopes, j);

			if (strcmp (s->key, key) == 0) {
				g_autofree char *kpath = g_strdup_printf ("%s.key", path);

				return swagger_invalid (error, kpath, "scope '%s' is defined twice",
							key);
			}
		}
		g_ptr_array_add (scopes, am_api_scope_new (key, name != NULL ? name : key,
							   description,
							   (const char *const *) roles));
	}
	return TRUE;
}

static gboolean
swagger_scope_known (GPtrArray *scopes, const char *key)
{
	for (guint i = 0; i < scopes->len; i++)
		if (strcmp (((AmApiScope *) g_ptr_array_index (scopes, i))->key, key) == 0)
			return TRUE;
	return FALSE;
}

static gboolean
swagger_parse_operation (const char *url, const char *verb, JsonNode *node, const char *path,
			 GPtrArray *scopes, GPtrArray *operations, GError **error)
{
	JsonObject *o;
	const char *auth_text, *tier, *scope;
	AmApiAuthType auth = AM_API_AUTH_ANY;

	if (!JSON_NODE_HOLDS_OBJECT (node))
		return swagger_invalid (error, path, "not an operation object");
	o = json_node_get_object (node);
	if (!swagger_string (o, "x-auth-type", path, &auth_text, error) ||
	    !swagger_string (o, "x-throttling-tier", path, &tier, error) ||
	    !swagger_string (o, "x-scope", path, &scope, error))
		return FALSE;
	if (auth_text != NULL && !am_api_auth_type_from_string (auth_text, &auth)) {
		g_autofree char *apath = g_strdup_printf ("%s['x-auth-type']", path);

		return swagger_invalid (error, apath,
					"'%s' is not Application & Application User, "
					"Application, Application User or None",
					auth_text);
	}
	if (scope != NULL && scope[0] == '\0')
		scope = NULL;
	if (scope != NULL && !swagger_scope_known (scopes, scope)) {
		g_autofree char *spath = g_strdup_printf ("%s['x-scope']", path);

		return swagger_invalid (error, spath,
					"scope '%s' is not defined in x-wso2-security", scope);
	}
	g_ptr_array_add (operations,
			 am_api_operation_new (url, verb, auth,
					       tier != NULL && tier[0] != '\0' ? tier : NULL, scope));
	return TRUE;
}

static gboolean
swagger_parse_paths (JsonObject *root, GPtrArray *scopes, GPtrArray *operations,
		     GError **error)
{
	JsonNode *paths_node = json_object_get_member (root, "paths");
	JsonObject *paths;
	g_autoptr (GList) urls = NULL;

	if (paths_node == NULL)
		return swagger_invalid (error, "$.paths", "missing");
	if (!JSON_NODE_HOLDS_OBJECT (paths_node))
		return swagger_invalid (error, "$.paths", "not an object");
	paths = json_node_get_object (paths_node);
	urls = json_object_get_members (paths);
	for (GList *u = urls; u != NULL; u = u->next) {
		const char *url = u->data;
		g_autofree char *ppath = g_strdup_printf ("$.paths['%s']", url);
		JsonNode *item_node = json_object_get_member (paths, url);
		g_autoptr (GList) verbs = NULL;
		JsonObject *item;

		if (g_str_has_prefix (url, "x-"))
			continue; /* vendor extension of the Paths object */
		if (url[0] != '/')
			return swagger_invalid (error, ppath, "a path must start with '/'");
		if (!JSON_NODE_HOLDS_OBJECT (item_node))
			return swagger_invalid (error, ppath, "not a path item object");
		item = json_node_get_object (item_node);
		verbs = json_object_get_members (item);
		for (GList *v = verbs; v != NULL; v = v->next) {
			const char *verb = v->data;
			g_autofree char *lower = g_ascii_strdown (verb, -1);
			g_autofree char *opath = g_strdup_printf ("%s.%s", ppath, verb);

			if (strcmp (verb, "parameters") == 0 || strcmp (verb, "$ref") == 0 ||
			    g_str_has_prefix (verb, "x-"))
				continue;
			if (!g_strv_contains (swagger_verbs, lower))
				return swagger_invalid (error, opath,
							"'%s' is not a swagger 2.0 HTTP method", verb);
			if (!swagger_parse_operation (url, lower, json_object_get_member (item, verb),
						      opath, scopes, operations, error))
				return FALSE;
		}
	}
	return TRUE;
}

gboolean
am_pub_swagger_parse (const char *json, GPtrArray **operations, GPtrArray **scopes,
		      GError **error)
{
	g_autoptr (JsonParser) parser = json_parser_new ();
	g_autoptr (GError) local = NULL;
	g_autoptr (GPtrArray) ops = NULL;
	g_autoptr (GPtrArray) scs = NULL;
	JsonNode *root_node;
	JsonObject *root;
	const char *version;

	if (json == NULL || json[0] == '\0')
		return swagger_invalid (error, "$", "empty API definition");
	if (!json_parser_load_from_data (parser, json, -1, &local))
		return swagger_invalid (error, "$", "not valid JSON: %s", local->message);
	root_node = json_parser_get_root (parser);
	if (root_node == NULL || !JSON_NODE_HOLDS_OBJECT (root_node))
		return swagger_invalid (error, "$", "not a JSON object");
	root = json_node_get_object (root_node);
	if (json_object_has_member (root, "openapi"))
		return swagger_invalid (error, "$.openapi",
					"OpenAPI 3 is not supported (API-M 2.x reads swagger 2.0)");
	if (!swagger_string (root, "swagger", "$", &version, error))
		return FALSE;
	if (version == NULL)
		return swagger_invalid (error, "$.swagger", "missing (a swagger 2.0 document)");
	if (strcmp (version, "2.0") != 0)
		return swagger_invalid (error, "$.swagger", "'%s' is not 2.0", version);

	ops = g_ptr_array_new_with_free_func ((GDestroyNotify) am_api_operation_free);
	scs = g_ptr_array_new_with_free_func ((GDestroyNotify) am_api_scope_free);
	/* scopes first: operations refer to them */
	if (!swagger_parse_scopes (root, scs, error) ||
	    !swagger_parse_paths (root, scs, ops, error))
		return FALSE;
	*operations = g_steal_pointer (&ops);
	*scopes = g_steal_pointer (&scs);
	return TRUE;
}

gboolean
am_pub_swagger_apply (AmApi *api, const char *json, GError **error)
{
	GPtrArray *ops = NULL, *scs = NULL;

	if (!am_pub_swagger_parse (json, &ops, &scs, error))
		return FALSE;
	g_ptr_array_unref (api->operations);
	g_ptr_array_unref (api->scopes);
	api->operations = ops;
	api->scopes = scs;
	g_free (api->swagger);
	api->swagger = g_strdup (json);
	return TRUE;
}

/* ---- generation ---- */

/* A JSON object whose members are written in HashMap order: members are
 * put() into @o, then moved into a new object in that order. */
static JsonObject *
swagger_hash_ordered (JsonObject *o)
{
	g_autoptr (GList) members = json_object_get_members (o);
	guint n = g_list_length (members);
	g_autofree const char **keys = g_new (const char *, n + 1);
	JsonObject *out = json_object_new ();
	guint i = 0;

	for (GList *l = members; l != NULL; l = l->next)
		keys[i++] = l->data;
	am_pub_java_hash_order (keys, n);
	for (i = 0; i < n; i++)
		json_object_set_member (out, keys[i],
					json_node_copy (json_object_get_member (o, keys[i])));
	json_object_unref (o);
	return out;
}

/* "{orderId}" names of a URL pattern, in order (getPathParamNames). */
static GPtrArray *
swagger_path_params (const char *url)
{
	GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
	const char *p = url;

	while ((p = strchr (p, '{')) != NULL) {
		const char *end = strchr (p, '}');

		if (end == NULL)
			break;
		if (end > p + 1) {
			/* {+var} / {?q} expansion operators are not part of the name */
			const char *start = p + 1;

			while (*start == '+' || *start == '#' || *start == '.' || *start == '/' ||
			       *start == ';' || *start == '?' || *start == '&')
				start++;
			if (start < end)
				g_ptr_array_add (names, g_strndup (start, end - start));
		}
		p = end + 1;
	}
	return names;
}

static JsonNode *
swagger_operation (const AmApiOperation *op)
{
	JsonObject *o = json_object_new ();
	JsonObject *responses = json_object_new ();
	JsonObject *ok = json_object_new ();
	g_autoptr (GPtrArray) params = swagger_path_params (op->url_pattern);
	JsonNode *node = json_node_new (JSON_NODE_OBJECT);

	json_object_set_string_member (o, "x-auth-type", am_api_auth_type_to_swagger (op->auth_type));
	json_object_set_string_member (o, "x-throttling-tier",
				       op->throttling_tier ? op->throttling_tier : "Unlimited");
	if (op->scope != NULL)
		json_object_set_string_member (o, "x-scope", op->scope);
	json_object_set_string_member (ok, "description", "OK");
	json_object_set_object_member (responses, "200", ok);
	json_object_set_object_member (o, "responses", responses);
	if (params->len > 0) {
		JsonArray *a = json_array_new ();

		for (guint i = 0; i < params->len; i++) {
			JsonObject *p = json_object_new ();

			json_object_set_string_member (p, "name", g_ptr_array_index (params, i));
			json_object_set_boolean_member (p, "required", TRUE);
			json_object_set_string_member (p, "in", "path");
			json_object_set_string_member (p, "type", "string");
			json_array_add_object_element (a, swagger_hash_ordered (p));
		}
		json_object_set_array_member (o, "parameters", a);
	}
	json_node_take_object (node, swagger_hash_ordered (o));
	return node;
}

char *
am_pub_swagger_generate (const AmApi *api, gboolean pretty)
{
	JsonObject *root = json_object_new ();
	JsonObject *info = json_object_new ();
	JsonObject *paths = json_object_new ();
	JsonObject *security = json_object_new ();
	JsonObject *apim = json_object_new ();
	JsonArray *scopes = json_array_new ();
	g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
	g_autoptr (JsonGenerator) gen = json_generator_new ();
	g_autoptr (GList) urls = NULL;

	json_object_set_string_member (info, "title", api->name ? api->name : "");
	if (api->description != NULL)
		json_object_set_string_member (info, "description", api->description);
	if (api->business_owner != NULL || api->business_owner_email != NULL) {
		JsonObject *contact = json_object_new ();

		if (api->business_owner != NULL)
			json_object_set_string_member (contact, "name", api->business_owner);
		if (api->business_owner_email != NULL)
			json_object_set_string_member (contact, "email", api->business_owner_email);
		json_object_set_object_member (info, "contact", swagger_hash_ordered (contact));
	}
	json_object_set_string_member (info, "version", api->version ? api->version : "");

	for (guint i = 0; api->operations != NULL && i < api->operations->len; i++) {
		const AmApiOperation *op = g_ptr_array_index (api->operations, i);
		g_autofree char *verb = g_ascii_strdown (op->http_method, -1);
		JsonObject *item;

		if (!json_object_has_member (paths, op->url_pattern))
			json_object_set_object_member (paths, op->url_pattern, json_object_new ());
		item = json_object_get_object_member (paths, op->url_pattern);
		json_object_set_member (item, verb, swagger_operation (op));
	}
	/* each path item, then the paths object, in HashMap order */
	urls = json_object_get_members (paths);
	{
		JsonObject *ordered = json_object_new ();

		for (GList *u = urls; u != NULL; u = u->next) {
			JsonObject *item = json_object_ref (json_object_get_object_member (paths, u->data));

			json_object_set_object_member (ordered, u->data, swagger_hash_ordered (item));
		}
		g_clear_pointer (&urls, g_list_free);
		json_object_unref (paths);
		paths = ordered;
	}

	for (guint i = 0; api->scopes != NULL && i < api->scopes->len; i++) {
		const AmApiScope *s = g_ptr_array_index (api->scopes, i);
		JsonObject *o = json_object_new ();
		g_autofree char *roles = s->roles != NULL ? g_strjoinv (",", s->roles) : g_strdup ("");

		json_object_set_string_member (o, "key", s->key);
		json_object_set_string_member (o, "name", s->name ? s->name : s->key);
		json_object_set_string_member (o, "roles", roles);
		if (s->description != NULL)
			json_object_set_string_member (o, "description", s->description);
		else
			json_object_set_null_member (o, "description");
		json_array_add_object_element (scopes, swagger_hash_ordered (o));
	}
	json_object_set_array_member (apim, "x-wso2-scopes", scopes);
	json_object_set_object_member (security, "apim", apim);

	json_object_set_object_member (root, "info", swagger_hash_ordered (info));
	json_object_set_object_member (root, "paths", swagger_hash_ordered (paths));
	json_object_set_string_member (root, "swagger", "2.0");
	json_object_set_object_member (root, "x-wso2-security", security);
	json_node_take_object (node, swagger_hash_ordered (root));
	json_generator_set_root (gen, node);
	json_generator_set_pretty (gen, pretty);
	json_generator_set_indent (gen, 2);
	return json_generator_to_data (gen, NULL);
}
