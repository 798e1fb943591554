/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Store REST API's objects as API-M 2.x's Store v0.11 writes them
 * (carbon-apimgt rest.api.store: APIMappingUtil, ApplicationMappingUtil,
 * ApplicationKeyMappingUtil, SubscriptionMappingUtil, TierMappingUtil):
 * members in the DTOs' declared order, absent values written as null as
 * Jackson does for those DTOs, and the Store's own conventions:
 *
 *   - the API context WITH its version ("/pizzashack/1.0.0"), unlike the
 *     Publisher;
 *   - endpointURLs: for each gateway environment the API is published to
 *     (overview_environments, "none" ignored, unknown names skipped), every
 *     GatewayEndpoint of that api-manager.xml Environment followed by the
 *     context; an http:// endpoint only when the API has the http
 *     transport, https:// likewise;
 *   - Tier: unitTime is the policy's UNIT_TIME as stored (1 for "per one
 *     minute"): APIUtil.getTiersFromPolicies copies limit.getUnitTime()
 *     and the Store's TierDTO has no time unit; Unlimited has 0;
 *   - which APIs a caller sees: PUBLISHED and PROTOTYPED ones (DEPRECATED
 *     too with APIStore/DisplayAllAPIs), whose visibility lets the caller
 *     read them (public; private to the tenant's users; restricted to the
 *     visibleRoles).
 *
 * Everything here is pure (no I/O), so it is unit-tested directly.
 */
#define G_LOG_DOMAIN "am.store"
#include "config.h"

#include "am-store.h"

#include <string.h>

/* ---- visibility ---- */

gboolean
am_store_status_listed (const char *status, gboolean display_all)
{
	return g_strcmp0 (status, "PUBLISHED") == 0 || g_strcmp0 (status, "PROTOTYPED") == 0 ||
	       (display_all && g_strcmp0 (status, "DEPRECATED") == 0);
}

gboolean
am_store_status_readable (const char *status)
{
	return am_store_status_listed (status, TRUE);
}

gboolean
am_store_api_visible (const AmApi *api, const char *user, const char *const *roles)
{
	const char *vis = api->visibility != NULL ? api->visibility : "public";

	if (g_ascii_strcasecmp (vis, "public") == 0 || g_ascii_strcasecmp (vis, "controlled") == 0)
		return TRUE;
	if (user == NULL)
		return FALSE;
	if (g_ascii_strcasecmp (vis, "private") == 0)
		return TRUE; /* every user of the tenant (only carbon.super is served) */
	if (g_ascii_strcasecmp (vis, "restricted") != 0 || api->visible_roles == NULL ||
	    roles == NULL)
		return FALSE;
	for (guint i = 0; api->visible_roles[i] != NULL; i++) {
		g_autofree char *want = g_strstrip (g_strdup (api->visible_roles[i]));

		for (guint j = 0; roles[j] != NULL; j++)
			if (g_ascii_strcasecmp (want, roles[j]) == 0)
				return TRUE;
	}
	return FALSE;
}

/* ---- APIs ---- */

static gboolean
strv_has (const char *const *v, const char *s)
{
	for (guint i = 0; v != NULL && v[i] != NULL; i++)
		if (g_ascii_strcasecmp (v[i], s) == 0)
			return TRUE;
	return FALSE;
}

JsonNode *
am_store_api_info_json (const AmApi *api)
{
	return am_apimgt_api_info_json (api, api->context);
}

JsonNode *
am_store_endpoint_urls_json (const AmApi *api, const AmApimConf *apim)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();
	gboolean http = strv_has ((const char *const *) api->transports, "http");
	gboolean https = strv_has ((const char *const *) api->transports, "https");
	g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

	json_builder_begin_array (b);
	for (guint i = 0; api->gateway_environments != NULL && api->gateway_environments[i];
	     i++) {
		const char *name = api->gateway_environments[i];
		const AmEnvironmentConf *env;
		g_autofree char *http_url = NULL;
		g_autofree char *https_url = NULL;

		if (g_strcmp0 (name, "none") == 0 || g_hash_table_contains (seen, name))
			continue;
		env = apim != NULL ? am_apim_conf_find_environment (apim, name) : NULL;
		if (env == NULL)
			continue; /* published to an environment no longer configured */
		g_hash_table_add (seen, (gpointer) name);
		for (guint j = 0; env->gateway_endpoints != NULL && env->gateway_endpoints[j];
		     j++) {
			g_autofree char *ep = g_strstrip (g_strdup (env->gateway_endpoints[j]));
			g_autofree char *url = NULL;

			/* "http://host:8280/" + "/ctx/1.0.0" must not give "//" */
			while (g_str_has_suffix (ep, "/"))
				ep[strlen (ep) - 1] = '\0';
			url = g_strconcat (ep, api->context != NULL ? api->context : "", NULL);
			if (g_ascii_strncasecmp (ep, "http:", 5) == 0 && http && http_url == NULL)
				http_url = g_steal_pointer (&url);
			else if (g_ascii_strncasecmp (ep, "https:", 6) == 0 && https &&
				 https_url == NULL)
				https_url = g_steal_pointer (&url);
		}
		json_builder_begin_object (b);
		am_apimgt_json_add_string (b, "environmentName", env->name);
		am_apimgt_json_add_string (b, "environmentType",
					   am_apimgt_environment_type_name (env->type));
		json_builder_set_member_name (b, "environmentURLs");
		json_builder_begin_object (b);
		am_apimgt_json_add_string (b, "http", http_url);
		am_apimgt_json_add_string (b, "https", https_url);
		json_builder_end_object (b);
		json_builder_end_object (b);
	}
	json_builder_end_array (b);
	return json_builder_get_root (b);
}

JsonNode *
am_store_api_json (const AmApi *api, const AmApimConf *apim)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();

	json_builder_begin_object (b);
	am_apimgt_json_add_api_head (b, api, api->context);
	am_apimgt_json_add_string (b, "apiDefinition", api->swagger);
	am_apimgt_json_add_string (b, "wsdlUri", api->wsdl_url);
	am_apimgt_json_add_string (b, "status", api->status);
	am_apimgt_json_add_bool (b, "isDefaultVersion", api->is_default_version);
	am_apimgt_json_add_strv (b, "transport", (const char *const *) api->transports);
	am_apimgt_json_add_strv (b, "tags", (const char *const *) api->tags);
	am_apimgt_json_add_strv (b, "tiers", (const char *const *) api->tiers);
	am_apimgt_json_add_string (b, "thumbnailUrl", api->thumbnail_url);
	json_builder_set_member_name (b, "endpointURLs");
	json_builder_add_value (b, am_store_endpoint_urls_json (api, apim));
	am_apimgt_json_add_business (b, api);
	json_builder_end_object (b);
	return json_builder_get_root (b);
}

/* ---- applications, keys, subscriptions ---- */

JsonNode *
am_store_app_key_json (const AmAppKey *key)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();

	json_builder_begin_object (b);
	am_apimgt_json_add_string (b, "consumerKey", key->consumer_key);
	am_apimgt_json_add_string (b, "consumerSecret", key->consumer_secret);
	am_apimgt_json_add_strv (b, "supportedGrantTypes",
				 (const char *const *) key->supported_grant_types);
	am_apimgt_json_add_string (b, "keyState", key->key_state);
	am_apimgt_json_add_string (b, "keyType", key->key_type);
	json_builder_set_member_name (b, "token");
	if (key->access_token != NULL) {
		json_builder_begin_object (b);
		am_apimgt_json_add_string (b, "accessToken", key->access_token);
		am_apimgt_json_add_strv (b, "tokenScopes", (const char *const *) key->token_scopes);
		json_builder_set_member_name (b, "validityTime");
		/* a token that never expires: WSO2 reports Long.MAX_VALUE / 1000 s */
		json_builder_add_int_value (b, key->validity_time);
		json_builder_end_object (b);
	} else {
		json_builder_add_null_value (b);
	}
	json_builder_end_object (b);
	return json_builder_get_root (b);
}

JsonNode *
am_store_application_json (const AmApplication *app, GPtrArray *keys, gboolean info)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();

	json_builder_begin_object (b);
	am_apimgt_json_add_application (b, app, !info, TRUE);
	if (!info) {
		json_builder_set_member_name (b, "keys");
		json_builder_begin_array (b);
		for (guint i = 0; keys != NULL && i < keys->len; i++) {
			const AmAppKey *k = g_ptr_array_index (keys, i);

			if (k->consumer_key != NULL) /* a mapping still being created has none */
				json_builder_add_value (b, am_store_app_key_json (k));
		}
		json_builder_end_array (b);
	}
	json_builder_end_object (b);
	return json_builder_get_root (b);
}

/* ---- ApplicationKeyGenerateRequest ---- */

void
am_store_key_request_clear (AmStoreKeyRequest *r)
{
	g_clear_pointer (&r->scopes, g_ptr_array_unref);
	g_clear_pointer (&r->domains, g_ptr_array_unref);
	g_clear_pointer (&r->grant_types, g_ptr_array_unref);
	memset (&r->req, 0, sizeof r->req);
}

/* A string array member: NULL when absent; FALSE when not an array of strings. */
static gboolean
key_request_strings (JsonObject *o, const char *name, GPtrArray **out)
{
	JsonNode *n = json_object_get_member (o, name);
	JsonArray *a;

	*out = NULL;
	if (n == NULL || JSON_NODE_HOLDS_NULL (n))
		return TRUE;
	if (!JSON_NODE_HOLDS_ARRAY (n))
		return FALSE;
	a = json_node_get_array (n);
	*out = g_ptr_array_new ();
	for (guint i = 0; i < json_array_get_length (a); i++) {
		JsonNode *e = json_array_get_element (a, i);

		if (json_node_get_value_type (e) != G_TYPE_STRING) {
			g_clear_pointer (out, g_ptr_array_unref);
			return FALSE;
		}
		g_ptr_array_add (*out, (gpointer) json_node_get_string (e));
	}
	g_ptr_array_add (*out, NULL);
	return TRUE;
}

static void
key_request_bad (AmRestCall *call, int *n_bad, const char *prop, const char *msg)
{
	g_autofree char *code = g_strdup_printf ("400_%s", prop);
	g_autofree char *text = g_strdup_printf ("%s: %s", prop, msg);

	if (call != NULL)
		am_rest_call_add_error_item (call, code, text);
	(*n_bad)++;
}

gboolean
am_store_key_request_parse (JsonNode *body, AmStoreKeyRequest *r, AmRestCall *call,
			    GError **error)
{
	JsonObject *o;
	JsonNode *n;
	int n_bad = 0;

	memset (r, 0, sizeof *r);
	if (body == NULL || !JSON_NODE_HOLDS_OBJECT (body)) {
		am_rest_bad_request (error, AM_REST_MALFORMED_BODY);
		return FALSE;
	}
	o = json_node_get_object (body);

	n = json_object_get_member (o, "keyType");
	if (n == NULL || JSON_NODE_HOLDS_NULL (n))
		key_request_bad (call, &n_bad, "keyType", "may not be null");
	else if (json_node_get_value_type (n) != G_TYPE_STRING ||
		 (g_strcmp0 (json_node_get_string (n), "PRODUCTION") != 0 &&
		  g_strcmp0 (json_node_get_string (n), "SANDBOX") != 0))
		key_request_bad (call, &n_bad, "keyType", "must be PRODUCTION or SANDBOX");
	else
		r->req.key_type = json_node_get_string (n);

	/* a string in the yaml ("3600"); a number is taken too */
	n = json_object_get_member (o, "validityTime");
	if (n == NULL || JSON_NODE_HOLDS_NULL (n)) {
		key_request_bad (call, &n_bad, "validityTime", "may not be null");
	} else if (json_node_get_value_type (n) == G_TYPE_STRING) {
		const char *s = json_node_get_string (n);
		char *end = NULL;
		gint64 v = g_ascii_strtoll (s, &end, 10);

		if (*s == '\0' || end == NULL || *end != '\0' || v < -1)
			key_request_bad (call, &n_bad, "validityTime",
					 "must be a number of seconds (-1: never expires)");
		else
			r->req.validity_time = v;
	} else if (json_node_get_value_type (n) == G_TYPE_INT64 && json_node_get_int (n) >= -1) {
		r->req.validity_time = json_node_get_int (n);
	} else {
		key_request_bad (call, &n_bad, "validityTime",
				 "must be a number of seconds (-1: never expires)");
	}

	n = json_object_get_member (o, "callbackUrl");
	if (n != NULL && !JSON_NODE_HOLDS_NULL (n)) {
		if (json_node_get_value_type (n) != G_TYPE_STRING)
			key_request_bad (call, &n_bad, "callbackUrl", "must be a string");
		else if (*json_node_get_string (n) != '\0')
			r->req.callback_url = json_node_get_string (n);
	}
	if (!key_request_strings (o, "accessAllowDomains", &r->domains))
		key_request_bad (call, &n_bad, "accessAllowDomains", "must be a list of strings");
	else if (r->domains == NULL)
		key_request_bad (call, &n_bad, "accessAllowDomains", "may not be null");
	if (!key_request_strings (o, "scopes", &r->scopes))
		key_request_bad (call, &n_bad, "scopes", "must be a list of strings");
	if (!key_request_strings (o, "supportedGrantTypes", &r->grant_types))
		key_request_bad (call, &n_bad, "supportedGrantTypes", "must be a list of strings");

	if (n_bad > 0) {
		am_store_key_request_clear (r);
		g_set_error_literal (error, AM_REST_ERROR, AM_REST_ERROR_BAD_REQUEST,
				     "Validation Error");
		return FALSE;
	}
	if (r->domains != NULL && r->domains->len > 1)
		r->req.allowed_domains = (const char *const *) r->domains->pdata;
	if (r->scopes != NULL && r->scopes->len > 1)
		r->req.scopes = (const char *const *) r->scopes->pdata;
	if (r->grant_types != NULL && r->grant_types->len > 1)
		r->req.grant_types = (const char *const *) r->grant_types->pdata;
	return TRUE;
}
