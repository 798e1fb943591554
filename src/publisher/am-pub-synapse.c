/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The synapse API XML a WSO2 API-M 2.x Publisher deploys for an API on one
 * gateway environment, rendered as product-apim's
 * repository/resources/api_templates/velocity_template.xml does with the
 * context APITemplateBuilderImpl builds (2.1 handler list from
 * APIProviderImpl.getAPITemplateBuilder):
 *
 *   <api name="provider--name" context="<context template>" version
 *        transports="" version-type="context">, one <resource> per URL
 *   pattern with its verbs (uri-template= when the pattern has "{" or a
 *   "*" that is not a trailing "/\*", else url-mapping=);
 *   inSequence: [response cache], api.ut.backendRequestTime, and the
 *   $ctx:AM_KEY_TYPE filter choosing the environment's endpoint, the
 *   "Sandbox Key Provided for Production Gateway" (or the reverse)
 *   payloadFactory 401 on single-type environments, or on hybrid ones the
 *   other endpoint / _sandbox_key_error_ / _production_key_error_;
 *   PROTOTYPED APIs send straight to the endpoint without the filter;
 *   outSequence: APIMgtResponseHandler, [cache collector], <send/>;
 *   handlers: APIMgtLatencyStatsHandler, CORSRequestHandler,
 *   APIAuthenticationHandler, ThrottleHandler (or APIThrottleHandler),
 *   APIMgtUsageHandler, APIMgtGoogleAnalyticsTrackingHandler,
 *   APIManagerExtensionHandler (PROTOTYPED: the first two only), with their
 *   properties in java.util.HashMap order as WSO2 builds them; then the
 *   template's trailing <handlers> with CORSRequestHandler inline=INLINE,
 *   which synapse ignores except for blocked APIs;
 *   BLOCKED APIs: a single /\* resource answering 503 with am:fault 700700.
 *
 * Endpoints come from the endpointConfig JSON as the Publisher stores it
 * (endpoint_type http / address / wsdl / failover / load_balance /
 * default; production_endpoints and sandbox_endpoints as {url, config} or
 * arrays of them; <type>_failovers; algoClassName, sessionManagement,
 * sessionTimeOut, failOver; wsdlendpointService/Port[Sandbox]) and are
 * named <api>_API<production|sandbox>Endpoint_<resource index>, members
 * _0, _1, ....  The `config` object gives the timeout and suspension
 * blocks (actionSelect, actionDuration, suspendErrorCode, suspendDuration,
 * suspendMaxDuration, factor, retryErroCode, retryTimeOut, retryDelay).
 * What Velocity would have rendered as a broken file (a missing url, a
 * non-numeric duration, an unknown endpoint type) is refused instead, with
 * the JSON path of the problem.
 */
#include "config.h"

#include "am-pub-synapse.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "am-pub-util.h"

#define PUB_HANDLER_PREFIX "org.wso2.carbon.apimgt.gateway.handlers."
#define PUB_LB_DEFAULT_ALGORITHM "org.apache.synapse.endpoints.algorithms.RoundRobin"

enum { PUB_PRODUCTION, PUB_SANDBOX };
static const char *const pub_key_names[] = { "production", "sandbox" };

/* ---- endpointConfig ---- */

typedef struct {
	char *url;
	char *member_type; /* failover/load_balance members: "http" or "address" */
	gboolean has_config;
	char *action_select;
	char *action_duration;
	char **suspend_codes;
	char *suspend_duration;
	char *suspend_max_duration;
	char *factor;
	char **retry_codes;
	char *retry_timeout;
	char *retry_delay;
	char *format;
	char *optimize;
} PubEp;

static void
pub_ep_free (PubEp *ep)
{
	g_free (ep->url);
	g_free (ep->member_type);
	g_free (ep->action_select);
	g_free (ep->action_duration);
	g_strfreev (ep->suspend_codes);
	g_free (ep->suspend_duration);
	g_free (ep->suspend_max_duration);
	g_free (ep->factor);
	g_strfreev (ep->retry_codes);
	g_free (ep->retry_timeout);
	g_free (ep->retry_delay);
	g_free (ep->format);
	g_free (ep->optimize);
	g_free (ep);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PubEp, pub_ep_free)

typedef struct {
	char *type;
	GPtrArray *eps[2];	 /* PubEp*, NULL when that key type has none */
	GPtrArray *failovers[2]; /* PubEp*, failover only */
	char *algorithm;
	char *session;
	char *session_timeout;
	gboolean lb_failover_off;
	char *wsdl_service[2];
	char *wsdl_port[2];
} PubEndpoints;

static void
pub_endpoints_free (PubEndpoints *e)
{
	g_free (e->type);
	for (guint i = 0; i < 2; i++) {
		g_clear_pointer (&e->eps[i], g_ptr_array_unref);
		g_clear_pointer (&e->failovers[i], g_ptr_array_unref);
		g_free (e->wsdl_service[i]);
		g_free (e->wsdl_port[i]);
	}
	g_free (e->algorithm);
	g_free (e->session);
	g_free (e->session_timeout);
	g_free (e);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PubEndpoints, pub_endpoints_free)

static gboolean
pub_invalid (GError **error, const char *path, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
pub_invalid (GError **error, const char *path, const char *format, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start (ap, format);
	msg = g_strdup_vprintf (format, ap);
	va_end (ap);
	g_set_error (error, AM_PUB_ERROR, AM_PUB_ERROR_INVALID, "%s: %s", path, msg);
	return FALSE;
}

/* Java's rendering of a JSON number as json-simple parses it: Long or Double. */
static char *
pub_number_text (JsonNode *node)
{
	if (json_node_get_value_type (node) == G_TYPE_INT64)
		return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
	else {
		double d = json_node_get_double (node);
		char buf[G_ASCII_DTOSTR_BUF_SIZE];

		if (d == (double) (gint64) d && d > -1e15 && d < 1e15)
			return g_strdup_printf ("%" G_GINT64_FORMAT ".0", (gint64) d);
		return g_strdup (g_ascii_dtostr (buf, sizeof buf, d));
	}
}

/* A scalar member as text; NULL (and TRUE) when absent, null or "". */
static gboolean
pub_member_text (JsonObject *o, const char *member, const char *path, char **out,
		 GError **error)
{
	JsonNode *node = json_object_get_member (o, member);

	*out = NULL;
	if (node == NULL || JSON_NODE_HOLDS_NULL (node))
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE (node))
		return pub_invalid (error, path, "%s is not a string", member);
	if (json_node_get_value_type (node) == G_TYPE_STRING) {
		const char *s = json_node_get_string (node);

		if (s[0] != '\0')
			*out = g_strdup (s);
		return TRUE;
	}
	if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
		*out = g_strdup (json_node_get_boolean (node) ? "true" : "false");
	else
		*out = pub_number_text (node);
	return TRUE;
}

static gboolean
pub_is_count (const char *text)
{
	guint64 v;

	return g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, &v, NULL);
}

/* A member synapse reads as a non-negative integer (milliseconds, counts). */
static gboolean
pub_member_count (JsonObject *o, const char *member, const char *path, char **out,
		  GError **error)
{
	if (!pub_member_text (o, member, path, out, error))
		return FALSE;
	if (*out != NULL && !pub_is_count (*out)) {
		pub_invalid (error, path, "%s '%s' is not a non-negative integer", member, *out);
		g_clear_pointer (out, g_free);
		return FALSE;
	}
	return TRUE;
}

/* suspendErrorCode / retryErroCode: an array of codes (the Publisher UI
 * stores strings), or one comma-separated string. */
static gboolean
pub_member_codes (JsonObject *o, const char *member, const char *path, char ***out,
		  GError **error)
{
	JsonNode *node = json_object_get_member (o, member);
	g_autoptr (GPtrArray) codes = g_ptr_array_new_with_free_func (g_free);

	*out = NULL;
	if (node == NULL || JSON_NODE_HOLDS_NULL (node))
		return TRUE;
	if (JSON_NODE_HOLDS_ARRAY (node)) {
		JsonArray *a = json_node_get_array (node);

		for (guint i = 0; i < json_array_get_length (a); i++) {
			JsonNode *item = json_array_get_element (a, i);
			char *text;

			if (!JSON_NODE_HOLDS_VALUE (item) ||
			    json_node_get_value_type (item) == G_TYPE_BOOLEAN)
				return pub_invalid (error, path, "%s[%u] is not an error code", member, i);
			text = json_node_get_value_type (item) == G_TYPE_STRING
				       ? g_strstrip (g_strdup (json_node_get_string (item)))
				       : pub_number_text (item);
			g_ptr_array_add (codes, text);
		}
	} else if (JSON_NODE_HOLDS_VALUE (node) &&
		   json_node_get_value_type (node) == G_TYPE_STRING) {
		g_auto (GStrv) parts = g_strsplit (json_node_get_string (node), ",", -1);

		for (guint i = 0; parts[i] != NULL; i++)
			g_ptr_array_add (codes, g_strstrip (g_strdup (parts[i])));
	} else {
		return pub_invalid (error, path, "%s is not a list of error codes", member);
	}
	for (guint i = 0; i < codes->len; i++) {
		const char *code = g_ptr_array_index (codes, i);

		if (code[0] == '\0') {
			g_ptr_array_remove_index (codes, i--);
			continue;
		}
		if (!pub_is_count (code))
			return pub_invalid (error, path, "%s '%s' is not an error code", member, code);
	}
	if (codes->len == 0)
		return TRUE;
	g_ptr_array_add (codes, NULL);
	*out = (char **) g_ptr_array_free (g_steal_pointer (&codes), FALSE);
	return TRUE;
}

static gboolean
pub_ep_config (PubEp *ep, JsonNode *node, const char *path, GError **error)
{
	g_autofree char *cpath = g_strdup_printf ("%s.config", path);
	JsonObject *c;

	if (node == NULL || JSON_NODE_HOLDS_NULL (node))
		return TRUE;
	if (!JSON_NODE_HOLDS_OBJECT (node))
		return pub_invalid (error, cpath, "not a JSON object");
	c = json_node_get_object (node);
	ep->has_config = TRUE;
	if (!pub_member_text (c, "actionSelect", cpath, &ep->action_select, error) ||
	    !pub_member_count (c, "actionDuration", cpath, &ep->action_duration, error) ||
	    !pub_member_codes (c, "suspendErrorCode", cpath, &ep->suspend_codes, error) ||
	    !pub_member_count (c, "suspendDuration", cpath, &ep->suspend_duration, error) ||
	    !pub_member_count (c, "suspendMaxDuration", cpath, &ep->suspend_max_duration, error) ||
	    !pub_member_text (c, "factor", cpath, &ep->factor, error) ||
	    !pub_member_codes (c, "retryErroCode", cpath, &ep->retry_codes, error) ||
	    !pub_member_count (c, "retryTimeOut", cpath, &ep->retry_timeout, error) ||
	    !pub_member_count (c, "retryDelay", cpath, &ep->retry_delay, error) ||
	    !pub_member_text (c, "format", cpath, &ep->format, error) ||
	    !pub_member_text (c, "optimize", cpath, &ep->optimize, error))
		return FALSE;
	if (ep->retry_codes == NULL &&
	    !pub_member_codes (c, "retryErroCodes", cpath, &ep->retry_codes, error))
		return FALSE;
	if (ep->action_select != NULL && g_strcmp0 (ep->action_select, "fault") != 0 &&
	    g_strcmp0 (ep->action_select, "discard") != 0 &&
	    g_strcmp0 (ep->action_select, "neverTimeout") != 0)
		return pub_invalid (error, cpath,
				    "actionSelect '%s' is not fault, discard or neverTimeout",
				    ep->action_select);
	if (ep->factor != NULL) {
		char *end = NULL;
		double v = g_ascii_strtod (ep->factor, &end);

		if (end == ep->factor || *end != '\0' || !(v > 0))
			return pub_invalid (error, cpath, "factor '%s' is not a positive number",
					    ep->factor);
	}
	/* leave-as-is is the Publisher UI's "no format" */
	if (g_strcmp0 (ep->format, "leave-as-is") == 0)
		g_clear_pointer (&ep->format, g_free);
	if (g_strcmp0 (ep->optimize, "leave-as-is") == 0)
		g_clear_pointer (&ep->optimize, g_free);
	return TRUE;
}

static PubEp *
pub_ep_parse (JsonNode *node, const char *path, gboolean need_url, GError **error)
{
	g_autoptr (PubEp) ep = g_new0 (PubEp, 1);
	g_autofree char *upath = g_strdup_printf ("%s.url", path);
	JsonObject *o;

	if (!JSON_NODE_HOLDS_OBJECT (node)) {
		pub_invalid (error, path, "not a JSON object with a url");
		return NULL;
	}
	o = json_node_get_object (node);
	if (!pub_member_text (o, "url", path, &ep->url, error) ||
	    !pub_member_text (o, "endpoint_type", path, &ep->member_type, error) ||
	    !pub_ep_config (ep, json_object_get_member (o, "config"), path, error))
		return NULL;
	if (need_url && ep->url == NULL) {
		pub_invalid (error, upath, "missing or empty");
		return NULL;
	}
	if (ep->url != NULL && strpbrk (ep->url, " \t\r\n") != NULL) {
		pub_invalid (error, upath, "'%s' contains white space", ep->url);
		return NULL;
	}
	if (ep->member_type != NULL && g_strcmp0 (ep->member_type, "http") != 0 &&
	    g_strcmp0 (ep->member_type, "address") != 0) {
		pub_invalid (error, path, "endpoint_type '%s' is not http or address",
			     ep->member_type);
		return NULL;
	}
	return g_steal_pointer (&ep);
}

/* <key>_endpoints (or <key>_failovers): absent/null -> *out NULL; an object
 * or an array of objects otherwise.  @single: only one endpoint makes sense. */
static gboolean
pub_eps_parse (JsonObject *root, const char *member, gboolean single, gboolean need_url,
	       GPtrArray **out, GError **error)
{
	JsonNode *node = json_object_get_member (root, member);
	g_autoptr (GPtrArray) eps = g_ptr_array_new_with_free_func ((GDestroyNotify) pub_ep_free);
	g_autofree char *path = g_strdup_printf ("endpointConfig.%s", member);

	*out = NULL;
	if (node == NULL || JSON_NODE_HOLDS_NULL (node))
		return TRUE;
	if (JSON_NODE_HOLDS_OBJECT (node)) {
		PubEp *ep = pub_ep_parse (node, path, need_url, error);

		if (ep == NULL)
			return FALSE;
		g_ptr_array_add (eps, ep);
	} else if (JSON_NODE_HOLDS_ARRAY (node)) {
		JsonArray *a = json_node_get_array (node);

		if (single && json_array_get_length (a) > 1)
			return pub_invalid (error, path,
					    "%u endpoints for a single-endpoint type (use "
					    "load_balance or failover)",
					    json_array_get_length (a));
		for (guint i = 0; i < json_array_get_length (a); i++) {
			g_autofree char *ipath = g_strdup_printf ("%s[%u]", path, i);
			PubEp *ep = pub_ep_parse (json_array_get_element (a, i), ipath, need_url,
						  error);

			if (ep == NULL)
				return FALSE;
			g_ptr_array_add (eps, ep);
		}
		/* An empty list is no endpoint at all, as APIUtil sees it. */
		if (eps->len == 0)
			return TRUE;
	} else {
		return pub_invalid (error, path, "not an endpoint object or array");
	}
	*out = g_steal_pointer (&eps);
	return TRUE;
}

static PubEndpoints *
pub_endpoints_parse (const char *json, GError **error)
{
	g_autoptr (JsonParser) parser = json_parser_new ();
	g_autoptr (PubEndpoints) e = g_new0 (PubEndpoints, 1);
	g_autoptr (GError) local = NULL;
	static const char *const types[] = { "http",	     "address", "wsdl", "failover",
					     "load_balance", "default", NULL };
	JsonNode *root_node;
	JsonObject *root;
	gboolean single, need_url;

	if (json == NULL || json[0] == '\0') {
		pub_invalid (error, "endpointConfig", "missing");
		return NULL;
	}
	if (!json_parser_load_from_data (parser, json, -1, &local)) {
		pub_invalid (error, "endpointConfig", "not valid JSON: %s", local->message);
		return NULL;
	}
	root_node = json_parser_get_root (parser);
	if (root_node == NULL || !JSON_NODE_HOLDS_OBJECT (root_node)) {
		pub_invalid (error, "endpointConfig", "not a JSON object");
		return NULL;
	}
	root = json_node_get_object (root_node);
	if (!pub_member_text (root, "endpoint_type", "endpointConfig", &e->type, error))
		return NULL;
	if (e->type == NULL) {
		pub_invalid (error, "endpointConfig.endpoint_type", "missing");
		return NULL;
	}
	if (!g_strv_contains (types, e->type)) {
		pub_invalid (error, "endpointConfig.endpoint_type",
			     "'%s' is not http, address, wsdl, failover, load_balance or default",
			     e->type);
		return NULL;
	}
	single = g_strcmp0 (e->type, "load_balance") != 0;
	need_url = g_strcmp0 (e->type, "default") != 0;
	for (guint k = 0; k < 2; k++) {
		g_autofree char *member = g_strdup_printf ("%s_endpoints", pub_key_names[k]);
		g_autofree char *fmember = g_strdup_printf ("%s_failovers", pub_key_names[k]);

		if (!pub_eps_parse (root, member, single, need_url, &e->eps[k], error))
			return NULL;
		if (g_strcmp0 (e->type, "failover") == 0 &&
		    !pub_eps_parse (root, fmember, FALSE, TRUE, &e->failovers[k], error))
			return NULL;
	}
	if (!pub_member_text (root, "algoClassName", "endpointConfig", &e->algorithm, error) ||
	    !pub_member_text (root, "sessionManagement", "endpointConfig", &e->session, error) ||
	    !pub_member_count (root, "sessionTimeOut", "endpointConfig", &e->session_timeout,
			       error) ||
	    !pub_member_text (root, "wsdlendpointService", "endpointConfig", &e->wsdl_service[0],
			      error) ||
	    !pub_member_text (root, "wsdlendpointPort", "endpointConfig", &e->wsdl_port[0],
			      error) ||
	    !pub_member_text (root, "wsdlendpointServiceSandbox", "endpointConfig",
			      &e->wsdl_service[1], error) ||
	    !pub_member_text (root, "wsdlendpointPortSandbox", "endpointConfig", &e->wsdl_port[1],
			      error))
		return NULL;
	{
		g_autofree char *failover = NULL;

		if (!pub_member_text (root, "failOver", "endpointConfig", &failover, error))
			return NULL;
		e->lb_failover_off = g_strcmp0 (failover, "False") == 0;
	}
	if (g_strcmp0 (e->session, "none") == 0)
		g_clear_pointer (&e->session, g_free);
	if (e->algorithm == NULL)
		e->algorithm = g_strdup (PUB_LB_DEFAULT_ALGORITHM);
	return g_steal_pointer (&e);
}

/* ---- names ---- */

char *
am_pub_synapse_api_name (const AmApi *api)
{
	g_autofree char *provider = am_api_provider_to_registry (api->provider);

	return g_strdup_printf ("%s--%s", provider, api->name);
}

char *
am_pub_synapse_qualified_name (const AmApi *api)
{
	g_autofree char *name = am_pub_synapse_api_name (api);

	return g_strdup_printf ("%s:v%s", name, api->version);
}

char *
am_pub_synapse_file_name (const AmApi *api)
{
	g_autofree char *name = am_pub_synapse_api_name (api);

	return g_strdup_printf ("%s_v%s.xml", name, api->version);
}

char *
am_pub_synapse_default_file_name (const AmApi *api)
{
	g_autofree char *name = am_pub_synapse_api_name (api);

	return g_strdup_printf ("%s.xml", name);
}

void
am_pub_synapse_options_init (AmPubSynapseOptions *options)
{
	*options = (AmPubSynapseOptions){
		.environment_type = AM_PUB_ENV_HYBRID,
		.advanced_throttling = TRUE,
		.global_cors = TRUE,
		.extension_handler_top = FALSE,
	};
}

gboolean
am_pub_env_type_from_string (const char *text, AmPubEnvType *type)
{
	static const char *const names[] = { "hybrid", "production", "sandbox" };

	for (guint i = 0; text != NULL && i < G_N_ELEMENTS (names); i++) {
		if (g_ascii_strcasecmp (text, names[i]) == 0) {
			*type = (AmPubEnvType) i;
			return TRUE;
		}
	}
	return FALSE;
}

/* ---- XML writer ---- */

typedef struct {
	GString *s;
	int depth;
} PubXml;

/* One line at the current depth; every %s argument is XML-escaped. */
static void
pub_line (PubXml *x, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
pub_line (PubXml *x, const char *format, ...)
{
	va_list ap;
	g_autofree char *text = NULL;

	va_start (ap, format);
	text = g_markup_vprintf_escaped (format, ap);
	va_end (ap);
	for (int i = 0; i < x->depth; i++)
		g_string_append (x->s, "   ");
	g_string_append (x->s, text);
	g_string_append_c (x->s, '\n');
}

/* A constant line, written as is (keeps quotes inside expressions readable). */
static void
pub_raw (PubXml *x, const char *text)
{
	for (int i = 0; i < x->depth; i++)
		g_string_append (x->s, "   ");
	g_string_append (x->s, text);
	g_string_append_c (x->s, '\n');
}

#define pub_open(x, ...)                                                                           \
	G_STMT_START                                                                               \
	{                                                                                          \
		pub_line ((x), __VA_ARGS__);                                                       \
		(x)->depth++;                                                                      \
	}                                                                                          \
	G_STMT_END
#define pub_close(x, tag)                                                                          \
	G_STMT_START                                                                               \
	{                                                                                          \
		(x)->depth--;                                                                      \
		pub_raw ((x), (tag));                                                              \
	}                                                                                          \
	G_STMT_END

/* ---- endpoints ---- */

static void
pub_codes (PubXml *x, char **codes)
{
	g_autofree char *joined = NULL;

	if (codes == NULL)
		return;
	joined = g_strjoinv (", ", codes);
	pub_line (x, "<errorCodes>%s</errorCodes>", joined);
}

/* The template's #timeout macro: the timeout block unless neverTimeout,
 * then the suspension blocks with synapse's defaults filled in. */
static void
pub_qos (PubXml *x, const PubEp *ep)
{
	if (ep != NULL && g_strcmp0 (ep->action_select, "neverTimeout") != 0 &&
	    (ep->action_duration != NULL || ep->action_select != NULL)) {
		pub_open (x, "<timeout>");
		if (ep->action_duration != NULL)
			pub_line (x, "<duration>%s</duration>", ep->action_duration);
		if (ep->action_select != NULL)
			pub_line (x, "<responseAction>%s</responseAction>", ep->action_select);
		pub_close (x, "</timeout>");
	}
	pub_open (x, "<suspendOnFailure>");
	if (ep != NULL) {
		pub_codes (x, ep->suspend_codes);
		if (ep->suspend_duration != NULL)
			pub_line (x, "<initialDuration>%s</initialDuration>", ep->suspend_duration);
		if (ep->suspend_max_duration != NULL)
			pub_line (x, "<maximumDuration>%s</maximumDuration>",
				  ep->suspend_max_duration);
	}
	pub_line (x, "<progressionFactor>%s</progressionFactor>",
		  ep != NULL && ep->factor != NULL ? ep->factor : "1.0");
	pub_close (x, "</suspendOnFailure>");
	pub_open (x, "<markForSuspension>");
	if (ep != NULL)
		pub_codes (x, ep->retry_codes);
	pub_line (x, "<retriesBeforeSuspension>%s</retriesBeforeSuspension>",
		  ep != NULL && ep->retry_timeout != NULL ? ep->retry_timeout : "0");
	pub_line (x, "<retryDelay>%s</retryDelay>",
		  ep != NULL && ep->retry_delay != NULL ? ep->retry_delay : "0");
	pub_close (x, "</markForSuspension>");
}

static void
pub_endpoint_http (PubXml *x, const char *name, const PubEp *ep)
{
	pub_open (x, "<endpoint name=\"%s\">", name);
	pub_open (x, "<http uri-template=\"%s\">", ep->url);
	pub_qos (x, ep);
	pub_close (x, "</http>");
	pub_line (x, "<property name=\"ENDPOINT_ADDRESS\" value=\"%s\"/>", ep->url);
	pub_close (x, "</endpoint>");
}

static void
pub_endpoint_address (PubXml *x, const char *name, const PubEp *ep)
{
	g_autoptr (GString) attrs = g_string_new (NULL);
	g_autofree char *uri = g_markup_escape_text (ep->url, -1);

	if (ep->format != NULL) {
		g_autofree char *v = g_markup_escape_text (ep->format, -1);

		g_string_append_printf (attrs, " format=\"%s\"", v);
	}
	if (ep->optimize != NULL) {
		g_autofree char *v = g_markup_escape_text (ep->optimize, -1);

		g_string_append_printf (attrs, " optimize=\"%s\"", v);
	}
	pub_open (x, "<endpoint name=\"%s\">", name);
	{
		g_autofree char *open = g_strdup_printf ("<address uri=\"%s\"%s>", uri, attrs->str);

		pub_raw (x, open);
		x->depth++;
	}
	pub_qos (x, ep);
	pub_close (x, "</address>");
	pub_line (x, "<property name=\"ENDPOINT_ADDRESS\" value=\"%s\"/>", ep->url);
	pub_close (x, "</endpoint>");
}

static void
pub_endpoint_member (PubXml *x, const char *name, const PubEp *ep)
{
	if (g_strcmp0 (ep->member_type, "address") == 0)
		pub_endpoint_address (x, name, ep);
	else
		pub_endpoint_http (x, name, ep);
}

/* Endpoint security before the send (the template's draw_endpoint head). */
static void
pub_endpoint_security (PubXml *x, const AmApi *api, const char *name, const PubEp *ep)
{
	g_autofree char *unpw = NULL;
	g_autofree char *b64 = NULL;

	if (api->endpoint_security_type == NULL)
		return;
	unpw = g_strdup_printf ("%s:%s", api->endpoint_username ? api->endpoint_username : "",
				api->endpoint_password ? api->endpoint_password : "");
	b64 = g_base64_encode ((const guchar *) unpw, strlen (unpw));
	if (g_ascii_strcasecmp (api->endpoint_security_type, "digest") != 0) {
		pub_line (x,
			  "<property name=\"Authorization\" expression=\"fn:concat('Basic ', '%s')\" "
			  "scope=\"transport\"/>",
			  b64);
		return;
	}
	pub_line (x, "<property name=\"UNAMEPASSWORD\" value=\"%s\" type=\"STRING\"/>", b64);
	pub_line (x, "<property name=\"BACKEND_URL\" value=\"%s\"/>", ep->url ? ep->url : "");
	pub_raw (x, "<property name=\"POSTFIX\" expression=\"get-property('axis2', "
		    "'REST_URL_POSTFIX')\"/>");
	pub_raw (x, "<property name=\"HTTP_METHOD\" expression=\"get-property('axis2', "
		    "'HTTP_METHOD')\"/>");
	pub_raw (x, "<property name=\"POST_TO_URI\" value=\"true\" scope=\"axis2\"/>");
	pub_raw (x, "<property name=\"MessageType\" expression=\"get-property('axis2', "
		    "'messageType')\"/>");
	pub_open (x, "<enrich>");
	pub_raw (x, "<source type=\"body\" clone=\"true\"/>");
	pub_raw (x, "<target type=\"property\" property=\"MessageBody\"/>");
	pub_close (x, "</enrich>");
	pub_open (x, "<call>");
	pub_open (x, "<endpoint name=\"%s\">", name);
	pub_line (x, "<http uri-template=\"%s\"/>", ep->url ? ep->url : "");
	pub_close (x, "</endpoint>");
	pub_close (x, "</call>");
	pub_raw (x, "<class name=\"org.wso2.carbon.apimgt.gateway.mediators.DigestAuthMediator\"/>");
	pub_raw (x, "<property name=\"Authorization\" expression=\"get-property('AuthHeader')\" "
		    "scope=\"transport\"/>");
	pub_raw (x, "<property name=\"messageType\" expression=\"get-property('MessageType')\" "
		    "scope=\"axis2\"/>");
	pub_raw (x, "<property name=\"HTTP_METHOD\" expression=\"get-property('HTTP_METHOD')\" "
		    "scope=\"axis2\"/>");
	pub_raw (x, "<property name=\"REST_URL_POSTFIX\" expression=\"$ctx:POSTFIX\" "
		    "scope=\"axis2\"/>");
	pub_raw (x, "<property name=\"POST_TO_URI\" value=\"true\" scope=\"axis2\"/>");
	pub_open (x, "<enrich>");
	pub_raw (x, "<source type=\"property\" property=\"MessageBody\" clone=\"true\"/>");
	pub_raw (x, "<target type=\"body\"/>");
	pub_close (x, "</enrich>");
}

/* The template's draw_endpoint macro for key type @k of resource @index. */
static void
pub_draw_endpoint (PubXml *x, const AmApi *api, const char *api_name, const PubEndpoints *e,
		   guint k, guint index)
{
	g_autofree char *name = g_strdup_printf ("%s_API%sEndpoint_%u", api_name, pub_key_names[k],
						 index);
	const PubEp *ep = g_ptr_array_index (e->eps[k], 0);

	pub_endpoint_security (x, api, name, ep);
	pub_open (x, "<send>");
	if (g_strcmp0 (e->type, "http") == 0) {
		pub_endpoint_http (x, name, ep);
	} else if (g_strcmp0 (e->type, "address") == 0) {
		pub_endpoint_address (x, name, ep);
	} else if (g_strcmp0 (e->type, "wsdl") == 0) {
		pub_open (x, "<endpoint name=\"%s\">", name);
		pub_open (x, "<wsdl uri=\"%s\" service=\"%s\" port=\"%s\">", ep->url,
			  e->wsdl_service[k] ? e->wsdl_service[k] : "",
			  e->wsdl_port[k] ? e->wsdl_port[k] : "");
		/* the template calls #timeout() without the endpoint's config */
		pub_qos (x, NULL);
		pub_close (x, "</wsdl>");
		pub_line (x, "<property name=\"ENDPOINT_ADDRESS\" value=\"%s\"/>", ep->url);
		pub_close (x, "</endpoint>");
	} else if (g_strcmp0 (e->type, "failover") == 0) {
		pub_open (x, "<endpoint name=\"%s\">", name);
		pub_open (x, "<failover>");
		{
			g_autofree char *child = g_strdup_printf ("%s_0", name);

			pub_endpoint_member (x, child, ep);
		}
		for (guint i = 0; e->failovers[k] != NULL && i < e->failovers[k]->len; i++) {
			g_autofree char *child = g_strdup_printf ("%s_%u", name, i + 1);

			pub_endpoint_member (x, child, g_ptr_array_index (e->failovers[k], i));
		}
		pub_close (x, "</failover>");
		pub_close (x, "</endpoint>");
	} else if (g_strcmp0 (e->type, "load_balance") == 0) {
		pub_open (x, "<endpoint name=\"%s\">", name);
		if (e->session != NULL) {
			pub_open (x, "<session type=\"%s\">", e->session);
			if (e->session_timeout != NULL)
				pub_line (x, "<sessionTimeout>%s</sessionTimeout>",
					  e->session_timeout);
			pub_close (x, "</session>");
		}
		if (e->lb_failover_off)
			pub_open (x, "<loadbalance algorithm=\"%s\" failover=\"false\">",
				  e->algorithm);
		else
			pub_open (x, "<loadbalance algorithm=\"%s\">", e->algorithm);
		for (guint i = 0; i < e->eps[k]->len; i++) {
			g_autofree char *child = g_strdup_printf ("%s_%u", name, i);

			pub_endpoint_member (x, child, g_ptr_array_index (e->eps[k], i));
		}
		pub_close (x, "</loadbalance>");
		pub_close (x, "</endpoint>");
	} else { /* default */
		pub_open (x, "<endpoint name=\"%s\">", name);
		pub_raw (x, "<default/>");
		pub_close (x, "</endpoint>");
	}
	pub_close (x, "</send>");
}

/* ---- the API ---- */

static gboolean
pub_check_deployable (const PubEndpoints *e, AmPubEnvType type, GError **error)
{
	if (type == AM_PUB_ENV_PRODUCTION && e->eps[PUB_PRODUCTION] == NULL) {
		g_set_error (error, AM_PUB_ERROR, AM_PUB_ERROR_NO_ENDPOINT,
			     "no production endpoint: not deployed to a production environment");
		return FALSE;
	}
	if (type == AM_PUB_ENV_SANDBOX && e->eps[PUB_SANDBOX] == NULL) {
		g_set_error (error, AM_PUB_ERROR, AM_PUB_ERROR_NO_ENDPOINT,
			     "no sandbox endpoint: not deployed to a sandbox environment");
		return FALSE;
	}
	if (e->eps[PUB_PRODUCTION] == NULL && e->eps[PUB_SANDBOX] == NULL) {
		g_set_error (error, AM_PUB_ERROR, AM_PUB_ERROR_NO_ENDPOINT,
			     "endpointConfig: neither production_endpoints nor sandbox_endpoints");
		return FALSE;
	}
	return TRUE;
}

gboolean
am_pub_synapse_deployable (const AmApi *api, AmPubEnvType type, GError **error)
{
	g_autoptr (PubEndpoints) e = pub_endpoints_parse (api->endpoint_config, error);

	return e != NULL && pub_check_deployable (e, type, error);
}

static gboolean
pub_check_api (const AmApi *api, GError **error)
{
	if (api->provider == NULL || api->provider[0] == '\0' || api->name == NULL ||
	    api->name[0] == '\0' || api->version == NULL || api->version[0] == '\0')
		return pub_invalid (error, "api", "provider, name and version are required");
	if ((api->context_template == NULL || api->context_template[0] != '/') &&
	    (api->context == NULL || api->context[0] != '/'))
		return pub_invalid (error, "api.context", "missing or not starting with '/'");
	return TRUE;
}

/* TransportConfigContext: "" for http+https, the one transport otherwise. */
static const char *
pub_transport (const AmApi *api)
{
	guint n = api->transports != NULL ? g_strv_length (api->transports) : 0;

	if (n == 1)
		return api->transports[0];
	return "";
}

static const char *
pub_api_context (const AmApi *api)
{
	return api->context_template != NULL && api->context_template[0] != '\0'
		       ? api->context_template
		       : api->context;
}

/* Properties of a handler, kept in put() order and written in HashMap order. */
typedef struct {
	const char *keys[8];
	const char *values[8];
	guint n;
} PubProps;

static void
pub_prop (PubProps *p, const char *key, const char *value)
{
	g_assert (p->n < G_N_ELEMENTS (p->keys));
	p->keys[p->n] = key;
	p->values[p->n] = value;
	p->n++;
}

static void
pub_handler (PubXml *x, const char *class_suffix, const PubProps *props)
{
	const char *order[8];

	if (props == NULL || props->n == 0) {
		pub_line (x, "<handler class=\"" PUB_HANDLER_PREFIX "%s\"/>", class_suffix);
		return;
	}
	memcpy (order, props->keys, props->n * sizeof (char *));
	am_pub_java_hash_order (order, props->n);
	pub_open (x, "<handler class=\"" PUB_HANDLER_PREFIX "%s\">", class_suffix);
	for (guint i = 0; i < props->n; i++) {
		for (guint j = 0; j < props->n; j++) {
			if (props->keys[j] == order[i])
				pub_line (x, "<property name=\"%s\" value=\"%s\"/>", order[i],
					  props->values[j]);
		}
	}
	pub_close (x, "</handler>");
}

static char *
pub_join_list (char **list)
{
	/* StringBuilder + "," without the last one; NULL when it is empty. */
	if (list == NULL || list[0] == NULL)
		return NULL;
	return g_strjoinv (",", list);
}

static void
pub_handlers (PubXml *x, const AmApi *api, const AmPubSynapseOptions *opt, gboolean prototyped)
{
	g_autofree char *headers = NULL, *origins = NULL, *methods = NULL;
	g_autofree char *prod_max = NULL, *sandbox_max = NULL;
	const char *auth_header = api->authorization_header != NULL &&
						  api->authorization_header[0] != '\0'
					  ? api->authorization_header
					  : NULL;
	PubProps cors = { 0 }, auth = { 0 }, throttle = { 0 }, ga = { 0 };
	gboolean top = opt->extension_handler_top && !prototyped;

	pub_open (x, "<handlers>");
	if (top)
		pub_handler (x, "ext.APIManagerExtensionHandler", NULL);
	pub_handler (x, "common.APIMgtLatencyStatsHandler", NULL);
	/* apiImplementationType: api.getImplementation(); apimd APIs are ENDPOINT. */
	pub_prop (&cors, "apiImplementationType", "ENDPOINT");
	if (auth_header != NULL)
		pub_prop (&cors, "AuthorizationHeader", auth_header); /* 2.6 */
	if (api->cors.enabled) {
		headers = pub_join_list (api->cors.allow_headers);
		origins = pub_join_list (api->cors.allow_origins);
		methods = pub_join_list (api->cors.allow_methods);
		if (headers != NULL)
			pub_prop (&cors, "allowHeaders", headers);
		if (origins != NULL)
			pub_prop (&cors, "allowedOrigins", origins);
		if (methods != NULL)
			pub_prop (&cors, "allowedMethods", methods);
		if (api->cors.allow_credentials)
			pub_prop (&cors, "allowCredentials", "true");
	}
	if (api->cors.enabled || opt->global_cors)
		pub_handler (x, "security.CORSRequestHandler", &cors);
	if (prototyped) {
		pub_close (x, "</handlers>");
		return;
	}
	if (auth_header != NULL)
		pub_prop (&auth, "AuthorizationHeader", auth_header); /* 2.6 */
	pub_handler (x, "security.APIAuthenticationHandler", &auth);
	if (api->max_tps_production >= 0) {
		prod_max = g_strdup_printf ("%" G_GINT64_FORMAT, api->max_tps_production);
		pub_prop (&throttle, "productionMaxCount", prod_max);
	}
	if (api->max_tps_sandbox >= 0) {
		sandbox_max = g_strdup_printf ("%" G_GINT64_FORMAT, api->max_tps_sandbox);
		pub_prop (&throttle, "sandboxMaxCount", sandbox_max);
	}
	if (opt->advanced_throttling) {
		pub_handler (x, "throttling.ThrottleHandler", &throttle);
	} else {
		pub_prop (&throttle, "id", "A");
		pub_prop (&throttle, "policyKey", "gov:/apimgt/applicationdata/tiers.xml");
		pub_prop (&throttle, "policyKeyApplication",
			  "gov:/apimgt/applicationdata/app-tiers.xml");
		pub_prop (&throttle, "policyKeyResource",
			  "gov:/apimgt/applicationdata/res-tiers.xml");
		pub_handler (x, "throttling.APIThrottleHandler", &throttle);
	}
	pub_handler (x, "analytics.APIMgtUsageHandler", NULL);
	pub_prop (&ga, "configKey", "gov:/apimgt/statistics/ga-config.xml");
	pub_handler (x, "analytics.APIMgtGoogleAnalyticsTrackingHandler", &ga);
	if (!top)
		pub_handler (x, "ext.APIManagerExtensionHandler", NULL);
	pub_close (x, "</handlers>");
}

/* The template's last lines: a second <handlers> synapse does not read
 * (except for blocked APIs, which have no other). */
static void
pub_inline_cors_handlers (PubXml *x)
{
	pub_open (x, "<handlers>");
	pub_raw (x, "<handler class=\"" PUB_HANDLER_PREFIX "security.CORSRequestHandler\">");
	x->depth++;
	pub_raw (x, "<property name=\"inline\" value=\"INLINE\"/>");
	pub_close (x, "</handler>");
	pub_close (x, "</handlers>");
}

static const char *
pub_fault_sequence (const AmApi *api, char **owned)
{
	/* A custom fault sequence is deployed by APIGatewayManager as
	 * "<provider>--<name>:v<version>--Fault" and referenced by that name. */
	if (api->fault_sequence != NULL && api->fault_sequence[0] != '\0') {
		g_autofree char *q = am_pub_synapse_qualified_name (api);

		*owned = g_strdup_printf ("%s--Fault", q);
		return *owned;
	}
	return "fault";
}

static void
pub_blocked_resource (PubXml *x, const char *fault)
{
	pub_open (x, "<resource methods=\"GET POST PUT DELETE PATCH\" url-mapping=\"/*\" "
		     "faultSequence=\"%s\">",
		  fault);
	pub_open (x, "<inSequence>");
	pub_open (x, "<payloadFactory>");
	pub_open (x, "<format>");
	pub_open (x, "<am:fault xmlns:am=\"http://wso2.org/apimanager\">");
	pub_raw (x, "<am:code>700700</am:code>");
	pub_raw (x, "<am:message>API blocked</am:message>");
	pub_raw (x, "<am:description>This API has been blocked temporarily. Please try again "
		    "later or contact the system administrators.</am:description>");
	pub_close (x, "</am:fault>");
	pub_close (x, "</format>");
	pub_close (x, "</payloadFactory>");
	pub_raw (x, "<property name=\"HTTP_SC\" value=\"503\" scope=\"axis2\"/>");
	pub_raw (x, "<property name=\"RESPONSE\" value=\"true\"/>");
	pub_raw (x, "<property name=\"NO_ENTITY_BODY\" scope=\"axis2\" action=\"remove\"/>");
	pub_raw (x, "<header name=\"To\" action=\"remove\"/>");
	pub_raw (x, "<send/>");
	pub_close (x, "</inSequence>");
	pub_close (x, "</resource>");
}

static void
pub_wrong_key (PubXml *x, AmPubEnvType env)
{
	pub_open (x, "<payloadFactory>");
	pub_open (x, "<format>");
	pub_open (x, "<error xmlns=\"\">");
	if (env == AM_PUB_ENV_PRODUCTION)
		pub_raw (x, "<message>Sandbox Key Provided for Production Gateway</message>");
	else
		pub_raw (x, "<message>Production Key Provided for Sandbox Gateway</message>");
	pub_close (x, "</error>");
	pub_close (x, "</format>");
	pub_close (x, "</payloadFactory>");
	pub_raw (x, "<property name=\"ContentType\" value=\"application/xml\" scope=\"axis2\"/>");
	pub_raw (x, "<property name=\"RESPONSE\" value=\"true\"/>");
	pub_raw (x, "<header name=\"To\" action=\"remove\"/>");
	pub_raw (x, "<property name=\"HTTP_SC\" value=\"401\" scope=\"axis2\"/>");
	pub_raw (x, "<property name=\"NO_ENTITY_BODY\" scope=\"axis2\" action=\"remove\"/>");
	pub_raw (x, "<send/>");
}

typedef struct {
	const char *pattern;
	GPtrArray *methods; /* const char*, borrowed from the operations */
} PubResource;

static void
pub_resource_free (PubResource *r)
{
	g_ptr_array_unref (r->methods);
	g_free (r);
}

/* One resource per URL pattern, in first-seen order, with its verbs. */
static GPtrArray *
pub_group_resources (const AmApi *api, GError **error)
{
	g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) pub_resource_free);

	for (guint i = 0; api->operations != NULL && i < api->operations->len; i++) {
		const AmApiOperation *op = g_ptr_array_index (api->operations, i);
		PubResource *r = NULL;

		if (op->url_pattern == NULL || op->url_pattern[0] != '/') {
			g_autofree char *path = g_strdup_printf ("api.operations[%u].urlPattern", i);

			pub_invalid (error, path, "'%s' does not start with '/'",
				     op->url_pattern ? op->url_pattern : "");
			return NULL;
		}
		if (op->http_method == NULL || op->http_method[0] == '\0') {
			g_autofree char *path = g_strdup_printf ("api.operations[%u].httpMethod", i);

			pub_invalid (error, path, "missing");
			return NULL;
		}
		for (guint j = 0; j < list->len && r == NULL; j++) {
			PubResource *c = g_ptr_array_index (list, j);

			if (strcmp (c->pattern, op->url_pattern) == 0)
				r = c;
		}
		if (r == NULL) {
			r = g_new0 (PubResource, 1);
			r->pattern = op->url_pattern;
			r->methods = g_ptr_array_new ();
			g_ptr_array_add (list, r);
		}
		if (!g_ptr_array_find_with_equal_func (r->methods, op->http_method, g_str_equal, NULL))
			g_ptr_array_add (r->methods, op->http_method);
	}
	if (list->len == 0) {
		pub_invalid (error, "api", "At least one resource is required");
		return NULL;
	}
	return g_steal_pointer (&list);
}

static gboolean
pub_uses_uri_template (const char *pattern)
{
	return strchr (pattern, '{') != NULL ||
	       (strchr (pattern, '*') != NULL && !g_str_has_suffix (pattern, "/*"));
}

static void
pub_resource (PubXml *x, const AmApi *api, const AmPubSynapseOptions *opt,
	      const PubEndpoints *e, const char *api_name, const char *fault,
	      const PubResource *r, guint index, gboolean prototyped)
{
	g_autoptr (GString) methods = g_string_new (NULL);
	AmPubEnvType env = opt->environment_type;
	gboolean has_prod = e->eps[PUB_PRODUCTION] != NULL;
	gboolean has_sandbox = e->eps[PUB_SANDBOX] != NULL;
	gboolean sandbox_first = env == AM_PUB_ENV_SANDBOX || (env == AM_PUB_ENV_HYBRID && !has_prod);

	for (guint i = 0; i < r->methods->len; i++)
		g_string_append_printf (methods, "%s%s", i ? " " : "",
					(const char *) g_ptr_array_index (r->methods, i));
	pub_open (x, "<resource %s=\"%s\" methods=\"%s\" faultSequence=\"%s\">",
		  pub_uses_uri_template (r->pattern) ? "uri-template" : "url-mapping", r->pattern,
		  methods->str, fault);
	pub_open (x, "<inSequence>");
	if (api->response_caching) {
		pub_open (x, "<cache scope=\"per-host\" collector=\"false\" "
			     "hashGenerator=\"org.wso2.carbon.mediator.cache.digest.DOMHASHGenerator\" "
			     "timeout=\"%d\">",
			  api->cache_timeout);
		pub_raw (x, "<implementation type=\"memory\" maxSize=\"500\"/>");
		pub_close (x, "</cache>");
	}
	pub_raw (x, "<property name=\"api.ut.backendRequestTime\" "
		    "expression=\"get-property('SYSTEM_TIME')\"/>");
	if (prototyped) {
		pub_draw_endpoint (x, api, api_name, e, sandbox_first ? PUB_SANDBOX : PUB_PRODUCTION,
				   index);
	} else {
		pub_open (x, "<filter source=\"$ctx:AM_KEY_TYPE\" regex=\"%s\">",
			  sandbox_first ? "SANDBOX" : "PRODUCTION");
		pub_open (x, "<then>");
		pub_draw_endpoint (x, api, api_name, e, sandbox_first ? PUB_SANDBOX : PUB_PRODUCTION,
				   index);
		pub_close (x, "</then>");
		pub_open (x, "<else>");
		if (env != AM_PUB_ENV_HYBRID)
			pub_wrong_key (x, env);
		else if (has_prod && has_sandbox)
			pub_draw_endpoint (x, api, api_name, e, PUB_SANDBOX, index);
		else if (has_prod)
			pub_raw (x, "<sequence key=\"_sandbox_key_error_\"/>");
		else
			pub_raw (x, "<sequence key=\"_production_key_error_\"/>");
		pub_close (x, "</else>");
		pub_close (x, "</filter>");
	}
	pub_close (x, "</inSequence>");
	pub_open (x, "<outSequence>");
	pub_raw (x, "<class name=\"" PUB_HANDLER_PREFIX "analytics.APIMgtResponseHandler\"/>");
	if (api->response_caching)
		pub_raw (x, "<cache scope=\"per-host\" collector=\"true\"/>");
	pub_raw (x, "<send/>");
	pub_close (x, "</outSequence>");
	pub_close (x, "</resource>");
}

char *
am_pub_synapse_generate (const AmApi *api, const AmPubSynapseOptions *options, GError **error)
{
	AmPubSynapseOptions defaults;
	g_autoptr (PubEndpoints) e = NULL;
	g_autoptr (GPtrArray) resources = NULL;
	g_autofree char *api_name = NULL;
	g_autofree char *fault_owned = NULL;
	const char *fault;
	gboolean blocked, prototyped;
	PubXml x = { NULL, 0 };

	g_return_val_if_fail (api != NULL, NULL);
	if (options == NULL) {
		am_pub_synapse_options_init (&defaults);
		options = &defaults;
	}
	if (!pub_check_api (api, error))
		return NULL;
	blocked = g_strcmp0 (api->status, "BLOCKED") == 0;
	prototyped = g_strcmp0 (api->status, "PROTOTYPED") == 0;
	e = pub_endpoints_parse (api->endpoint_config, error);
	if (e == NULL || !pub_check_deployable (e, options->environment_type, error))
		return NULL;
	resources = pub_group_resources (api, error);
	if (resources == NULL)
		return NULL;
	api_name = am_pub_synapse_api_name (api);
	fault = pub_fault_sequence (api, &fault_owned);

	x.s = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	pub_open (&x,
		  "<api xmlns=\"http://ws.apache.org/ns/synapse\" name=\"%s\" context=\"%s\" "
		  "version=\"%s\" transports=\"%s\" version-type=\"context\">",
		  api_name, pub_api_context (api), api->version, pub_transport (api));
	if (blocked) {
		pub_blocked_resource (&x, fault);
	} else {
		for (guint i = 0; i < resources->len; i++)
			pub_resource (&x, api, options, e, api_name, fault,
				      g_ptr_array_index (resources, i), i, prototyped);
		pub_handlers (&x, api, options, prototyped);
	}
	pub_inline_cors_handlers (&x);
	pub_close (&x, "</api>");
	return g_string_free (x.s, FALSE);
}

char *
am_pub_synapse_generate_default (const AmApi *api, GError **error)
{
	g_autofree char *api_name = NULL;
	g_autofree char *context = NULL;
	g_autofree char *forward = NULL;
	const char *transport;
	gboolean https;
	PubXml x = { NULL, 0 };

	g_return_val_if_fail (api != NULL, NULL);
	if (!pub_check_api (api, error))
		return NULL;
	api_name = am_pub_synapse_api_name (api);
	transport = pub_transport (api);
	https = g_strcmp0 (transport, "https") == 0;
	/* APITemplateBuilderImpl: the template minus "/{version}" (or
	 * "{version}"), forwarding to the context with the version. */
	{
		g_autoptr (GString) t = g_string_new (pub_api_context (api));

		g_string_replace (t, "/{version}", "", 0);
		g_string_replace (t, "{version}", "", 0);
		context = g_string_free (g_steal_pointer (&t), FALSE);
	}
	if (api->context != NULL && api->context[0] != '\0') {
		forward = g_strdup (api->context);
	} else {
		g_autoptr (GString) t = g_string_new (api->context_template);

		g_string_replace (t, "{version}", api->version, 0);
		forward = g_string_free (g_steal_pointer (&t), FALSE);
	}
	x.s = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	pub_open (&x, "<api xmlns=\"http://ws.apache.org/ns/synapse\" name=\"%s\" context=\"%s\" "
		      "transports=\"%s\">",
		  api_name, context, transport);
	pub_raw (&x, "<resource methods=\"POST PATCH GET DELETE HEAD PUT OPTIONS\" "
		     "url-mapping=\"/*\" faultSequence=\"fault\">");
	x.depth++;
	pub_open (&x, "<inSequence>");
	pub_raw (&x, "<property name=\"isDefault\" expression=\"$trp:WSO2_AM_API_DEFAULT_VERSION\"/>");
	pub_open (&x, "<filter source=\"$ctx:isDefault\" regex=\"true\">");
	pub_open (&x, "<then>");
	pub_open (&x, "<log level=\"custom\">");
	pub_raw (&x, "<property name=\"STATUS\" value=\"Faulty invoking through default API."
		     "Dropping message to avoid recursion..\"/>");
	pub_close (&x, "</log>");
	pub_open (&x, "<payloadFactory media-type=\"xml\">");
	pub_open (&x, "<format>");
	pub_open (&x, "<am:fault xmlns:am=\"http://wso2.org/apimanager\">");
	pub_raw (&x, "<am:code>500</am:code>");
	pub_raw (&x, "<am:type>Status report</am:type>");
	pub_raw (&x, "<am:message>Internal Server Error</am:message>");
	pub_raw (&x, "<am:description>Faulty invoking through default API</am:description>");
	pub_close (&x, "</am:fault>");
	pub_close (&x, "</format>");
	pub_raw (&x, "<args/>");
	pub_close (&x, "</payloadFactory>");
	pub_raw (&x, "<property name=\"HTTP_SC\" value=\"500\" scope=\"axis2\"/>");
	pub_raw (&x, "<property name=\"RESPONSE\" value=\"true\"/>");
	pub_raw (&x, "<header name=\"To\" action=\"remove\"/>");
	pub_raw (&x, "<property name=\"NO_ENTITY_BODY\" scope=\"axis2\" action=\"remove\"/>");
	pub_raw (&x, "<property name=\"ContentType\" scope=\"axis2\" action=\"remove\"/>");
	pub_raw (&x, "<property name=\"Authorization\" scope=\"transport\" action=\"remove\"/>");
	pub_raw (&x, "<property name=\"Host\" scope=\"transport\" action=\"remove\"/>");
	pub_raw (&x, "<property name=\"Accept\" scope=\"transport\" action=\"remove\"/>");
	pub_raw (&x, "<send/>");
	pub_close (&x, "</then>");
	pub_open (&x, "<else>");
	pub_raw (&x, "<header name=\"WSO2_AM_API_DEFAULT_VERSION\" scope=\"transport\" value=\"true\"/>");
	pub_raw (&x, https ? "<property name=\"uri.var.portnum\" expression=\"get-property('https.nio.port')\"/>"
			   : "<property name=\"uri.var.portnum\" expression=\"get-property('http.nio.port')\"/>");
	pub_open (&x, "<send>");
	pub_open (&x, "<endpoint>");
	pub_open (&x, "<http uri-template=\"%s://localhost:{uri.var.portnum}/%s\">",
		  https ? "https" : "http", forward[0] == '/' ? forward + 1 : forward);
	pub_open (&x, "<timeout>");
	pub_raw (&x, "<duration>60000</duration>");
	pub_raw (&x, "<responseAction>fault</responseAction>");
	pub_close (&x, "</timeout>");
	pub_qos (&x, NULL);
	pub_close (&x, "</http>");
	pub_close (&x, "</endpoint>");
	pub_close (&x, "</send>");
	pub_close (&x, "</else>");
	pub_close (&x, "</filter>");
	pub_close (&x, "</inSequence>");
	pub_open (&x, "<outSequence>");
	pub_raw (&x, "<send/>");
	pub_close (&x, "</outSequence>");
	pub_close (&x, "</resource>");
	pub_open (&x, "<handlers>");
	pub_raw (&x, "<handler class=\"" PUB_HANDLER_PREFIX "common.SynapsePropertiesHandler\"/>");
	pub_raw (&x, "<handler class=\"" PUB_HANDLER_PREFIX "security.CORSRequestHandler\">");
	x.depth++;
	pub_raw (&x, "<property name=\"apiImplementationType\" value=\"ENDPOINT\"/>");
	pub_close (&x, "</handler>");
	pub_close (&x, "</handlers>");
	pub_close (&x, "</api>");
	return g_string_free (x.s, FALSE);
}
