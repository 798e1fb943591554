/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reader of synapse REST API files as WSO2 API-M 1.9 - 2.6 deploys them
 * (velocity_template.xml, default_api_template.xml and the shipped
 * _TokenAPI_/_RevokeAPI_/... files): <api name context version
 * version-type transports>, its <resource>s (methods, uri-template or
 * url-mapping, in/out/fault sequences), the $ctx:AM_KEY_TYPE filter that
 * picks production or sandbox endpoints, every endpoint form the Publisher
 * emits (http, address, wsdl, default, loadbalance, failover, a named
 * <endpoint key>) with timeout and suspension settings, and the first
 * <handlers> block (synapse's APIFactory ignores the template's second one).
 *
 * Parsing goes through the configuration loader's XML reader (no network,
 * no DTD, no entity expansion) and never stops at the first problem: every
 * one is reported as `file:line: element: problem`.  Mediators other than
 * the ones above (property, log, cache, class...) belong to the mediation
 * engine and are not modelled here.
 */
#define G_LOG_DOMAIN "am.gw"
#include "config.h"

#include "am-gw-api.h"

#include <libxml/tree.h>
#include <string.h>

#include "am-conf.h"
#include "am-gw-router.h"

#define SYNAPSE_NS "http://ws.apache.org/ns/synapse"

G_DEFINE_QUARK (am - gw - error - quark, am_gw_error)

typedef struct {
	const char *file;
	GPtrArray *errors;
	guint first_error;
	const AmGwArtifacts *artifacts;
	AmGwApi *api; /* NULL while reading a standalone endpoint */
} GwParse;

static void gw_error (GwParse *p, xmlNode *node, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static void
gw_error (GwParse *p, xmlNode *node, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start (ap, fmt);
	msg = g_strdup_vprintf (fmt, ap);
	va_end (ap);
	g_ptr_array_add (p->errors, g_strdup_printf ("%s:%ld: %s: %s", p->file, xmlGetLineNo (node),
						     (const char *) node->name, msg));
}

static gboolean
gw_failed (GwParse *p)
{
	return p->errors->len > p->first_error;
}

static xmlNode *
gw_next_element (xmlNode *n)
{
	while (n != NULL && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

#define GW_FOREACH_CHILD(parent, child)                                                            \
	for (xmlNode *child = gw_next_element ((parent)->children); child != NULL;                 \
	     child = gw_next_element (child->next))

static gboolean
gw_is (xmlNode *node, const char *name)
{
	return node != NULL && strcmp ((const char *) node->name, name) == 0;
}

static xmlNode *
gw_child (xmlNode *parent, const char *name)
{
	GW_FOREACH_CHILD (parent, c) {
		if (gw_is (c, name))
			return c;
	}
	return NULL;
}

/* An attribute as a g_malloc'd string, or NULL. */
static char *
gw_attr (xmlNode *node, const char *name)
{
	xmlChar *v = xmlGetProp (node, (const xmlChar *) name);
	char *copy;

	if (v == NULL)
		return NULL;
	copy = g_strdup ((const char *) v);
	xmlFree (v);
	return copy;
}

static char *
gw_text (xmlNode *node)
{
	xmlChar *v = xmlNodeGetContent (node);
	char *copy = g_strstrip (g_strdup (v != NULL ? (const char *) v : ""));

	xmlFree (v);
	return copy;
}

/* A non-negative integer element (<duration>, <retryDelay>...); @fallback when absent. */
static gint64
gw_child_int (GwParse *p, xmlNode *parent, const char *name, gint64 fallback)
{
	xmlNode *c = gw_child (parent, name);
	g_autofree char *text = NULL;
	guint64 v = 0;

	if (c == NULL)
		return fallback;
	text = gw_text (c);
	if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, &v, NULL)) {
		gw_error (p, c, "'%s' is not a non-negative integer", text);
		return fallback;
	}
	return (gint64) v;
}

/* <errorCodes>101504, 101505</errorCodes> */
static GArray *
gw_error_codes (GwParse *p, xmlNode *parent)
{
	GArray *codes = g_array_new (FALSE, FALSE, sizeof (int));
	xmlNode *c = gw_child (parent, "errorCodes");
	g_autofree char *text = c != NULL ? gw_text (c) : NULL;
	g_auto (GStrv) parts = text != NULL ? g_strsplit (text, ",", -1) : NULL;

	for (guint i = 0; parts != NULL && parts[i] != NULL; i++) {
		guint64 v;
		int code;

		g_strstrip (parts[i]);
		if (parts[i][0] == '\0')
			continue;
		if (!g_ascii_string_to_unsigned (parts[i], 10, 0, G_MAXINT, &v, NULL)) {
			gw_error (p, c, "'%s' is not an error code", parts[i]);
			continue;
		}
		code = (int) v;
		g_array_append_val (codes, code);
	}
	return codes;
}

/* ---- endpoints ---- */

static void
endpoint_clear (AmGwEndpoint *ep)
{
	g_free (ep->name);
	g_free (ep->uri);
	g_free (ep->format);
	g_free (ep->wsdl_service);
	g_free (ep->wsdl_port);
	g_clear_pointer (&ep->suspend_error_codes, g_array_unref);
	g_clear_pointer (&ep->mark_error_codes, g_array_unref);
	g_free (ep->algorithm);
	g_free (ep->session_type);
	g_clear_pointer (&ep->children, g_ptr_array_unref);
	g_free (ep->key);
	g_clear_pointer (&ep->target, am_gw_endpoint_unref);
	if (ep->compiled != NULL && ep->compiled_free != NULL)
		ep->compiled_free (ep->compiled);
}

AmGwEndpoint *
am_gw_endpoint_ref (AmGwEndpoint *endpoint)
{
	return g_atomic_rc_box_acquire (endpoint);
}

void
am_gw_endpoint_unref (AmGwEndpoint *endpoint)
{
	if (endpoint != NULL)
		g_atomic_rc_box_release_full (endpoint, (GDestroyNotify) endpoint_clear);
}

const AmGwEndpoint *
am_gw_endpoint_resolve (const AmGwEndpoint *endpoint)
{
	/* Named endpoint files cannot themselves be key references (see
	 * endpoint_parse_node), so one step is enough. */
	if (endpoint != NULL && endpoint->type == AM_GW_EP_KEY)
		return endpoint->target;
	return endpoint;
}

/* <timeout>, <suspendOnFailure>, <markForSuspension> of a leaf endpoint. */
static void
endpoint_parse_qos (GwParse *p, xmlNode *leaf, AmGwEndpoint *ep)
{
	xmlNode *timeout = gw_child (leaf, "timeout");
	xmlNode *suspend = gw_child (leaf, "suspendOnFailure");
	xmlNode *mark = gw_child (leaf, "markForSuspension");

	if (timeout != NULL) {
		xmlNode *action = gw_child (timeout, "responseAction");
		g_autofree char *text = action != NULL ? gw_text (action) : NULL;

		ep->timeout_ms = gw_child_int (p, timeout, "duration", 0);
		if (text == NULL || g_ascii_strcasecmp (text, "never") == 0)
			ep->timeout_action = AM_GW_TIMEOUT_NEVER;
		else if (g_ascii_strcasecmp (text, "fault") == 0)
			ep->timeout_action = AM_GW_TIMEOUT_FAULT;
		else if (g_ascii_strcasecmp (text, "discard") == 0)
			ep->timeout_action = AM_GW_TIMEOUT_DISCARD;
		else
			gw_error (p, action, "'%s' is not fault, discard or never", text);
	}
	if (suspend != NULL) {
		xmlNode *factor = gw_child (suspend, "progressionFactor");

		g_array_unref (ep->suspend_error_codes);
		ep->suspend_error_codes = gw_error_codes (p, suspend);
		ep->suspend_initial_ms = gw_child_int (p, suspend, "initialDuration",
						       AM_GW_SUSPEND_INITIAL_MS_DEFAULT);
		ep->suspend_maximum_ms = gw_child_int (p, suspend, "maximumDuration",
						       AM_GW_SUSPEND_MAXIMUM_MS_DEFAULT);
		if (factor != NULL) {
			g_autofree char *text = gw_text (factor);
			char *end = NULL;
			double v = g_ascii_strtod (text, &end);

			if (end == text || *end != '\0' || !(v > 0))
				gw_error (p, factor, "'%s' is not a positive number", text);
			else
				ep->suspend_progression = v;
		}
	}
	if (mark != NULL) {
		g_array_unref (ep->mark_error_codes);
		ep->mark_error_codes = gw_error_codes (p, mark);
		ep->mark_retries = (int) MIN (gw_child_int (p, mark, "retriesBeforeSuspension", 0),
					      G_MAXINT);
		ep->mark_retry_delay_ms = gw_child_int (p, mark, "retryDelay", 0);
	}
}

static AmGwEndpoint *endpoint_parse_node (GwParse *p, xmlNode *node, gboolean top);

static void
endpoint_parse_group (GwParse *p, xmlNode *group, AmGwEndpoint *ep)
{
	GW_FOREACH_CHILD (group, c) {
		AmGwEndpoint *child;

		if (!gw_is (c, "endpoint"))
			continue;
		child = endpoint_parse_node (p, c, FALSE);
		if (child != NULL)
			g_ptr_array_add (ep->children, child);
	}
	if (ep->children->len == 0)
		gw_error (p, group, "no member <endpoint>");
}

static void
endpoint_resolve_key (GwParse *p, xmlNode *node, AmGwEndpoint *ep)
{
	AmGwEndpoint *target;

	if (p->api != NULL)
		g_ptr_array_add (p->api->endpoint_keys, g_strdup (ep->key));
	if (p->artifacts == NULL || p->artifacts->endpoints == NULL)
		return;
	target = g_hash_table_lookup (p->artifacts->endpoints, ep->key);
	if (target == NULL)
		gw_error (p, node, "endpoint '%s' is not defined in endpoints/", ep->key);
	else
		ep->target = am_gw_endpoint_ref (target);
}

/* One <endpoint>: a key reference or a name with exactly one form child. */
static AmGwEndpoint *
endpoint_parse_node (GwParse *p, xmlNode *node, gboolean top)
{
	g_autoptr (AmGwEndpoint) ep = g_atomic_rc_box_new0 (AmGwEndpoint);
	xmlNode *form = NULL;

	ep->line = (int) xmlGetLineNo (node);
	ep->name = gw_attr (node, "name");
	ep->key = gw_attr (node, "key");
	ep->suspend_error_codes = g_array_new (FALSE, FALSE, sizeof (int));
	ep->mark_error_codes = g_array_new (FALSE, FALSE, sizeof (int));
	ep->suspend_initial_ms = AM_GW_SUSPEND_INITIAL_MS_DEFAULT;
	ep->suspend_maximum_ms = AM_GW_SUSPEND_MAXIMUM_MS_DEFAULT;
	ep->suspend_progression = 1.0;
	ep->lb_failover = TRUE;
	ep->children = g_ptr_array_new_with_free_func ((GDestroyNotify) am_gw_endpoint_unref);

	if (ep->key != NULL) {
		if (top && p->api == NULL) {
			gw_error (p, node, "a named endpoint cannot itself be a key reference");
			return NULL;
		}
		ep->type = AM_GW_EP_KEY;
		endpoint_resolve_key (p, node, ep);
		return g_steal_pointer (&ep);
	}
	GW_FOREACH_CHILD (node, c) {
		if (gw_is (c, "property") || gw_is (c, "session") || gw_is (c, "description") ||
		    gw_is (c, "parameter"))
			continue;
		if (form != NULL) {
			gw_error (p, c, "an endpoint has one form; <%s> already given", form->name);
			continue;
		}
		form = c;
	}
	if (form == NULL) {
		gw_error (p, node, "no endpoint form (http, address, wsdl, default, loadbalance, failover)");
		return NULL;
	}
	if (gw_is (form, "http") || gw_is (form, "address") || gw_is (form, "wsdl")) {
		gboolean http = gw_is (form, "http");

		ep->type = http ? AM_GW_EP_HTTP : gw_is (form, "address") ? AM_GW_EP_ADDRESS : AM_GW_EP_WSDL;
		ep->uri = gw_attr (form, http ? "uri-template" : "uri");
		ep->format = gw_attr (form, "format");
		ep->wsdl_service = gw_attr (form, "service");
		ep->wsdl_port = gw_attr (form, "port");
		if (ep->uri == NULL || ep->uri[0] == '\0')
			gw_error (p, form, "missing %s", http ? "uri-template" : "uri");
		endpoint_parse_qos (p, form, ep);
	} else if (gw_is (form, "default")) {
		ep->type = AM_GW_EP_DEFAULT;
		endpoint_parse_qos (p, form, ep);
	} else if (gw_is (form, "loadbalance")) {
		xmlNode *session = gw_child (node, "session");
		g_autofree char *failover = gw_attr (form, "failover");

		ep->type = AM_GW_EP_LOADBALANCE;
		ep->algorithm = gw_attr (form, "algorithm");
		ep->lb_failover = failover == NULL || g_ascii_strcasecmp (failover, "false") != 0;
		if (session != NULL) {
			ep->session_type = gw_attr (session, "type");
			ep->session_timeout_ms = gw_child_int (p, session, "sessionTimeout", 0);
		}
		endpoint_parse_group (p, form, ep);
	} else if (gw_is (form, "failover")) {
		ep->type = AM_GW_EP_FAILOVER;
		endpoint_parse_group (p, form, ep);
	} else {
		gw_error (p, form, "unknown endpoint form");
		return NULL;
	}
	return g_steal_pointer (&ep);
}

/* ---- resources and their in-sequence ---- */

static void
route_clear (AmGwRoute *r)
{
	g_clear_pointer (&r->endpoint, am_gw_endpoint_unref);
	g_clear_pointer (&r->sequence, g_free);
	g_clear_pointer (&r->error_message, g_free);
}

static void
route_copy (AmGwRoute *to, const AmGwRoute *from)
{
	to->endpoint = from->endpoint != NULL ? am_gw_endpoint_ref (from->endpoint) : NULL;
	to->sequence = g_strdup (from->sequence);
	to->error_status = from->error_status;
	to->error_message = g_strdup (from->error_message);
}

static void
resource_free (AmGwResource *r)
{
	g_strfreev (r->methods);
	g_free (r->uri_template);
	g_free (r->url_mapping);
	g_free (r->in_sequence);
	g_free (r->out_sequence);
	g_free (r->fault_sequence);
	route_clear (&r->production);
	route_clear (&r->sandbox);
	am_gw_mapping_free (r->compiled);
	g_free (r);
}

static void
sequence_ref (GwParse *p, xmlNode *node, const char *key)
{
	g_ptr_array_add (p->api->sequence_keys, g_strdup (key));
	/* Registry keys (gov:/conf:) live in the registry, not in sequences/. */
	if (p->artifacts == NULL || p->artifacts->sequences == NULL || strchr (key, ':') != NULL)
		return;
	if (!g_hash_table_contains (p->artifacts->sequences, key))
		gw_error (p, node, "sequence '%s' is not defined in sequences/", key);
}

/* Every <sequence key> below @node (in/out sequences may call them anywhere). */
static void
sequence_refs_below (GwParse *p, xmlNode *node)
{
	GW_FOREACH_CHILD (node, c) {
		g_autofree char *key = gw_is (c, "sequence") ? gw_attr (c, "key") : NULL;

		if (key != NULL)
			sequence_ref (p, c, key);
		else if (!gw_is (c, "endpoint"))
			sequence_refs_below (p, c);
	}
}

/* The payloadFactory error of a branch: <error><message>text</message></error>. */
static char *
route_error_message (xmlNode *factory)
{
	xmlNode *format = gw_child (factory, "format");
	xmlNode *error = format != NULL ? gw_next_element (format->children) : NULL;
	xmlNode *message = error != NULL ? gw_child (error, "message") : NULL;

	return message != NULL ? gw_text (message) : g_strdup ("");
}

/* What one branch of the key-type filter (or the whole in-sequence when
 * there is no filter) does. */
static void
route_parse (GwParse *p, xmlNode *branch, AmGwRoute *route)
{
	GW_FOREACH_CHILD (branch, c) {
		if (gw_is (c, "send")) {
			xmlNode *epn = gw_child (c, "endpoint");

			if (epn != NULL && route->endpoint == NULL)
				route->endpoint = endpoint_parse_node (p, epn, FALSE);
		} else if (gw_is (c, "sequence") && route->sequence == NULL) {
			route->sequence = gw_attr (c, "key");
		} else if (gw_is (c, "payloadFactory")) {
			g_free (route->error_message);
			route->error_message = route_error_message (c);
		} else if (gw_is (c, "property")) {
			g_autofree char *name = gw_attr (c, "name");
			g_autofree char *value = gw_attr (c, "value");
			guint64 sc;

			if (g_strcmp0 (name, "HTTP_SC") == 0 && value != NULL &&
			    g_ascii_string_to_unsigned (value, 10, 100, 599, &sc, NULL))
				route->error_status = (int) sc;
		}
	}
}

/* WSO2's default-version API marks what it forwards with the transport
 * header WSO2_AM_API_DEFAULT_VERSION and sends to
 * http(s)://localhost:{uri.var.portnum}/<context/version>. */
static void
resource_default_version (GwParse *p, xmlNode *in, const AmGwRoute *route)
{
	xmlNode *filter = gw_child (in, "filter");
	xmlNode *other = filter != NULL ? gw_child (filter, "else") : NULL;
	const AmGwEndpoint *ep = route->endpoint;
	const char *uri, *path;
	gboolean marks = FALSE;

	GW_FOREACH_CHILD (other != NULL ? other : in, c) {
		g_autofree char *name = gw_is (c, "header") ? gw_attr (c, "name") : NULL;

		marks |= g_strcmp0 (name, "WSO2_AM_API_DEFAULT_VERSION") == 0;
	}
	if (!marks || ep == NULL || ep->uri == NULL)
		return;
	uri = ep->uri;
	path = strstr (uri, "://");
	path = path != NULL ? strchr (path + 3, '/') : NULL;
	p->api->default_version = TRUE;
	g_free (p->api->default_target);
	p->api->default_target = g_strdup (path != NULL ? path : "/");
}

static void
resource_parse_in_sequence (GwParse *p, xmlNode *in, AmGwResource *r)
{
	xmlNode *filter = NULL;

	GW_FOREACH_CHILD (in, c) {
		g_autofree char *source = gw_is (c, "filter") ? gw_attr (c, "source") : NULL;

		if (g_strcmp0 (source, "$ctx:AM_KEY_TYPE") == 0)
			filter = c;
	}
	if (filter != NULL) {
		g_autofree char *regex = gw_attr (filter, "regex");
		xmlNode *then = gw_child (filter, "then");
		xmlNode *other = gw_child (filter, "else");
		gboolean sandbox = g_strcmp0 (regex, "SANDBOX") == 0;

		if (!sandbox && g_strcmp0 (regex, "PRODUCTION") != 0)
			gw_error (p, filter, "regex '%s' is neither PRODUCTION nor SANDBOX",
				  regex != NULL ? regex : "");
		if (then != NULL)
			route_parse (p, then, sandbox ? &r->sandbox : &r->production);
		if (other != NULL)
			route_parse (p, other, sandbox ? &r->production : &r->sandbox);
	} else {
		/* No key-type filter (prototyped APIs, the shipped token APIs, the
		 * default-version API): the same send for either key. */
		xmlNode *filter_any = gw_child (in, "filter");

		route_parse (p, in, &r->production);
		if (r->production.endpoint == NULL && filter_any != NULL) {
			xmlNode *other = gw_child (filter_any, "else");

			if (other != NULL)
				route_parse (p, other, &r->production);
		}
		route_copy (&r->sandbox, &r->production);
		resource_default_version (p, in, &r->production);
	}
	sequence_refs_below (p, in);
}

static const char *const gw_methods[] = { "GET",     "POST",  "PUT",  "DELETE",
					  "PATCH",   "HEAD",  "OPTIONS", NULL };

static void
resource_parse_methods (GwParse *p, xmlNode *node, AmGwResource *r)
{
	g_autofree char *methods = gw_attr (node, "methods");
	g_auto (GStrv) parts = NULL;
	GPtrArray *list;

	if (methods == NULL)
		return; /* synapse: a resource without methods= takes every method */
	parts = g_strsplit_set (methods, " \t\n,", -1);
	list = g_ptr_array_new ();
	for (guint i = 0; parts[i] != NULL; i++) {
		char *m = g_ascii_strup (parts[i], -1);

		if (m[0] == '\0' || g_strv_contains (gw_methods, m) == FALSE) {
			if (m[0] != '\0')
				gw_error (p, node, "'%s' is not an HTTP method", parts[i]);
			g_free (m);
			continue;
		}
		g_ptr_array_add (list, m);
	}
	if (list->len == 0)
		gw_error (p, node, "methods= names no HTTP method");
	g_ptr_array_add (list, NULL);
	r->methods = (char **) g_ptr_array_free (list, FALSE);
}

static void
resource_parse (GwParse *p, xmlNode *node)
{
	AmGwResource *r = g_new0 (AmGwResource, 1);
	g_autoptr (GError) error = NULL;
	xmlNode *in = gw_child (node, "inSequence");
	const char *seq_attrs[] = { "inSequence", "outSequence", "faultSequence" };
	char **seq_fields[] = { &r->in_sequence, &r->out_sequence, &r->fault_sequence };

	r->line = (int) xmlGetLineNo (node);
	resource_parse_methods (p, node, r);
	r->uri_template = gw_attr (node, "uri-template");
	r->url_mapping = gw_attr (node, "url-mapping");
	if (r->uri_template != NULL && r->url_mapping != NULL)
		gw_error (p, node, "both uri-template and url-mapping given");
	else if ((r->compiled = am_gw_mapping_compile (r->uri_template, r->url_mapping, &error)) == NULL)
		gw_error (p, node, "%s", error->message);
	for (guint i = 0; i < G_N_ELEMENTS (seq_attrs); i++) {
		*seq_fields[i] = gw_attr (node, seq_attrs[i]);
		if (*seq_fields[i] != NULL)
			sequence_ref (p, node, *seq_fields[i]);
	}
	if (in != NULL)
		resource_parse_in_sequence (p, in, r);
	GW_FOREACH_CHILD (node, c) {
		if (gw_is (c, "outSequence") || gw_is (c, "faultSequence"))
			sequence_refs_below (p, c);
	}
	g_ptr_array_add (p->api->resources, r);
}

/* API.addResource: one default resource at most, and no two resources
 * with the same mapping sharing a method. */
static void
resources_check (GwParse *p, xmlNode *root)
{
	GPtrArray *res = p->api->resources;

	for (guint i = 0; i < res->len; i++) {
		AmGwResource *a = g_ptr_array_index (res, i);
		const char *ma = a->uri_template != NULL ? a->uri_template : a->url_mapping;

		for (guint j = 0; j < i; j++) {
			AmGwResource *b = g_ptr_array_index (res, j);
			const char *mb = b->uri_template != NULL ? b->uri_template : b->url_mapping;
			gboolean shared = a->methods == NULL || b->methods == NULL;

			for (guint k = 0; !shared && a->methods[k] != NULL; k++)
				shared = am_gw_resource_allows (b, a->methods[k]);
			if (ma == NULL && mb == NULL) {
				gw_error (p, root, "resources of lines %d and %d: only one resource "
					  "can be the default (no uri-template or url-mapping)",
					  b->line, a->line);
				break;
			}
			if (g_strcmp0 (ma, mb) == 0 && shared) {
				gw_error (p, root, "resources of lines %d and %d have the same mapping "
					  "'%s' and a method in common", b->line, a->line, ma);
				break;
			}
		}
	}
}

/* ---- handlers ---- */

static void
handler_free (AmGwHandler *h)
{
	for (guint i = 0; i < h->properties->len; i++) {
		AmGwProperty *prop = &g_array_index (h->properties, AmGwProperty, i);

		g_free (prop->name);
		g_free (prop->value);
	}
	g_array_unref (h->properties);
	g_free (h->class_name);
	g_free (h);
}

static void
handlers_parse (GwParse *p, xmlNode *handlers)
{
	GW_FOREACH_CHILD (handlers, h) {
		AmGwHandler *handler;

		if (!gw_is (h, "handler"))
			continue;
		handler = g_new0 (AmGwHandler, 1);
		handler->class_name = gw_attr (h, "class");
		handler->class_len = handler->class_name != NULL ? strlen (handler->class_name) : 0;
		handler->properties = g_array_new (FALSE, FALSE, sizeof (AmGwProperty));
		if (handler->class_name == NULL || handler->class_name[0] == '\0')
			gw_error (p, h, "missing class");
		GW_FOREACH_CHILD (h, prop) {
			AmGwProperty v;

			if (!gw_is (prop, "property"))
				continue;
			v.name = gw_attr (prop, "name");
			v.value = gw_attr (prop, "value");
			if (v.name == NULL)
				gw_error (p, prop, "missing name");
			else
				g_array_append_val (handler->properties, v);
			if (v.name == NULL)
				g_free (v.value);
		}
		g_ptr_array_add (p->api->handlers, handler);
	}
}

/* ---- the <api> element ---- */

/* The synapse name: "name:vversion", or name when there is no version. */
static char *
api_qualified_name (const AmGwApi *api)
{
	if (api->version != NULL)
		return g_strdup_printf ("%s:v%s", api->name, api->version);
	return g_strdup (api->name);
}

/* API.canProcess: transports="http" or "https" limits the API to that
 * listener; empty (or both named) allows either. */
static void
api_parse_transports (AmGwApi *api)
{
	g_auto (GStrv) list = NULL;

	if (api->transports == NULL || *api->transports == '\0') {
		api->over_http = api->over_https = TRUE;
		return;
	}
	list = g_strsplit (api->transports, ",", -1);
	for (guint i = 0; list[i] != NULL; i++) {
		g_strstrip (list[i]);
		if (g_ascii_strcasecmp (list[i], "http") == 0)
			api->over_http = TRUE;
		else if (g_ascii_strcasecmp (list[i], "https") == 0)
			api->over_https = TRUE;
	}
}

static void
api_free (AmGwApi *api)
{
	g_free (api->file);
	g_free (api->name);
	g_free (api->context_template);
	g_free (api->context);
	g_free (api->version);
	g_free (api->transports);
	g_free (api->host);
	g_free (api->tenant_domain);
	g_free (api->default_target);
	g_free (api->qname);
	g_ptr_array_unref (api->resources);
	g_ptr_array_unref (api->handlers);
	g_ptr_array_unref (api->endpoint_keys);
	g_ptr_array_unref (api->sequence_keys);
}

AmGwApi *
am_gw_api_ref (AmGwApi *api)
{
	return g_atomic_rc_box_acquire (api);
}

void
am_gw_api_unref (AmGwApi *api)
{
	if (api != NULL)
		g_atomic_rc_box_release_full (api, (GDestroyNotify) api_free);
}

static void
api_parse_context (GwParse *p, xmlNode *root)
{
	AmGwApi *api = p->api;
	g_autofree char *type = gw_attr (root, "version-type");
	g_autofree char *port = gw_attr (root, "port");
	GString *ctx;

	api->context_template = gw_attr (root, "context");
	api->version = gw_attr (root, "version");
	if (api->version != NULL && api->version[0] == '\0')
		g_clear_pointer (&api->version, g_free);
	if (type == NULL || api->version == NULL) {
		api->version_type = AM_GW_VERSION_NONE;
		if (api->version != NULL)
			gw_error (p, root, "version= without version-type=");
	} else if (g_ascii_strcasecmp (type, "context") == 0) {
		api->version_type = AM_GW_VERSION_CONTEXT;
	} else if (g_ascii_strcasecmp (type, "url") == 0) {
		api->version_type = AM_GW_VERSION_URL;
	} else {
		gw_error (p, root, "version-type '%s' is neither context nor url", type);
	}
	if (api->context_template == NULL || api->context_template[0] != '/') {
		gw_error (p, root, "%s", api->context_template == NULL ? "missing context" :
					 "context must begin with '/'");
		return;
	}
	ctx = g_string_new (api->context_template);
	if (api->version_type == AM_GW_VERSION_CONTEXT)
		g_string_replace (ctx, "{version}", api->version, 0);
	while (ctx->len > 1 && ctx->str[ctx->len - 1] == '/')
		g_string_truncate (ctx, ctx->len - 1);
	if (strchr (ctx->str, '{') != NULL || strchr (ctx->str, '?') != NULL)
		gw_error (p, root, "context '%s' has an unresolved template or a query",
			  api->context_template);
	api->context = g_string_free (ctx, FALSE);
	if (g_str_has_prefix (api->context, "/t/")) {
		const char *d = api->context + 3;
		const char *end = strchr (d, '/');

		api->tenant_domain = end != NULL ? g_strndup (d, end - d) : g_strdup (d);
	}
	api->port = -1;
	if (port != NULL) {
		guint64 v;

		if (!g_ascii_string_to_unsigned (port, 10, 1, 65535, &v, NULL))
			gw_error (p, root, "port '%s' is not a port number", port);
		else
			api->port = (int) v;
	}
}

static AmGwApi *
api_parse_root (GwParse *p, xmlNode *root)
{
	g_autoptr (AmGwApi) api = g_atomic_rc_box_new0 (AmGwApi);
	gboolean seen_handlers = FALSE;

	api->file = g_strdup (p->file);
	api->resources = g_ptr_array_new_with_free_func ((GDestroyNotify) resource_free);
	api->handlers = g_ptr_array_new_with_free_func ((GDestroyNotify) handler_free);
	api->endpoint_keys = g_ptr_array_new_with_free_func (g_free);
	api->sequence_keys = g_ptr_array_new_with_free_func (g_free);
	p->api = api;

	if (!gw_is (root, "api")) {
		gw_error (p, root, "the document element must be <api>");
		return NULL;
	}
	if (root->ns == NULL || strcmp ((const char *) root->ns->href, SYNAPSE_NS) != 0)
		gw_error (p, root, "not in the synapse namespace " SYNAPSE_NS);
	api->name = gw_attr (root, "name");
	if (api->name == NULL || api->name[0] == '\0')
		gw_error (p, root, "missing name");
	api_parse_context (p, root);
	api->transports = gw_attr (root, "transports");
	api->host = gw_attr (root, "hostname");
	GW_FOREACH_CHILD (root, c) {
		if (gw_is (c, "resource")) {
			resource_parse (p, c);
		} else if (gw_is (c, "handlers")) {
			/* APIFactory reads the first <handlers> only (the velocity
			 * template appends a second, CORS-only block). */
			if (!seen_handlers)
				handlers_parse (p, c);
			seen_handlers = TRUE;
		}
	}
	if (api->resources->len == 0)
		gw_error (p, root, "no <resource> (synapse refuses an API without resources)");
	resources_check (p, root);
	if (gw_failed (p))
		return NULL;
	api->qname = api_qualified_name (api);
	api_parse_transports (api);
	return g_steal_pointer (&api);
}

/* Parse @xml into a document; NULL (and errors) when it is not well-formed. */
static AmConfDoc *
gw_doc_parse (const char *xml, gsize len, const char *display_name, GPtrArray *errors)
{
	return am_conf_doc_load_memory (xml, len, display_name, errors);
}

static AmGwApi *
api_from_doc (AmConfDoc *doc, const char *display_name, const AmGwArtifacts *artifacts,
	      GPtrArray *errors, guint first_error)
{
	GwParse p = { display_name, errors, first_error, artifacts, NULL };

	if (doc == NULL)
		return NULL;
	return api_parse_root (&p, xmlDocGetRootElement (am_conf_doc_xml (doc)));
}

AmGwApi *
am_gw_api_parse (const char *xml, gsize len, const char *display_name,
		 const AmGwArtifacts *artifacts, GPtrArray *errors)
{
	guint first = errors->len;
	g_autoptr (AmConfDoc) doc = gw_doc_parse (xml, len, display_name, errors);

	return api_from_doc (doc, display_name, artifacts, errors, first);
}

AmGwApi *
am_gw_api_load (const char *path, const char *display_name, const AmGwArtifacts *artifacts,
		GPtrArray *errors)
{
	guint first = errors->len;
	g_autoptr (AmConfDoc) doc = am_conf_doc_load (path, display_name, errors);

	return api_from_doc (doc, display_name, artifacts, errors, first);
}

AmGwEndpoint *
am_gw_endpoint_parse (const char *xml, gsize len, const char *display_name, GPtrArray *errors)
{
	GwParse p = { display_name, errors, errors->len, NULL, NULL };
	g_autoptr (AmConfDoc) doc = gw_doc_parse (xml, len, display_name, errors);
	g_autoptr (AmGwEndpoint) ep = NULL;
	xmlNode *root;

	if (doc == NULL)
		return NULL;
	root = xmlDocGetRootElement (am_conf_doc_xml (doc));
	if (!gw_is (root, "endpoint")) {
		gw_error (&p, root, "the document element must be <endpoint>");
		return NULL;
	}
	ep = endpoint_parse_node (&p, root, TRUE);
	if (ep != NULL && ep->name == NULL)
		gw_error (&p, root, "missing name");
	return gw_failed (&p) ? NULL : g_steal_pointer (&ep);
}

char *
am_gw_artifact_name (const char *xml, gsize len, const char *display_name, const char *root_name,
		     GPtrArray *errors)
{
	GwParse p = { display_name, errors, errors->len, NULL, NULL };
	g_autoptr (AmConfDoc) doc = gw_doc_parse (xml, len, display_name, errors);
	xmlNode *root;
	char *name;

	if (doc == NULL)
		return NULL;
	root = xmlDocGetRootElement (am_conf_doc_xml (doc));
	if (!gw_is (root, root_name)) {
		gw_error (&p, root, "the document element must be <%s>", root_name);
		return NULL;
	}
	name = gw_attr (root, strcmp (root_name, "localEntry") == 0 ? "key" : "name");
	if (name == NULL || name[0] == '\0') {
		gw_error (&p, root, "missing %s", strcmp (root_name, "localEntry") == 0 ? "key" : "name");
		g_free (name);
		return NULL;
	}
	return name;
}

/* ---- queries ---- */

const AmGwHandler *
am_gw_api_handler (const AmGwApi *api, const char *class_suffix)
{
	gsize n = strlen (class_suffix);

	for (guint i = 0; i < api->handlers->len; i++) {
		const AmGwHandler *h = g_ptr_array_index (api->handlers, i);

		if (h->class_name != NULL && h->class_len >= n &&
		    memcmp (h->class_name + h->class_len - n, class_suffix, n) == 0)
			return h;
	}
	return NULL;
}

const char *
am_gw_handler_property (const AmGwHandler *handler, const char *name)
{
	for (guint i = 0; i < handler->properties->len; i++) {
		const AmGwProperty *prop = &g_array_index (handler->properties, AmGwProperty, i);

		if (strcmp (prop->name, name) == 0)
			return prop->value;
	}
	return NULL;
}

const AmGwRoute *
am_gw_resource_route (const AmGwResource *resource, AmGwKeyType key_type)
{
	return key_type == AM_GW_KEY_SANDBOX ? &resource->sandbox : &resource->production;
}

gboolean
am_gw_resource_allows (const AmGwResource *resource, const char *method)
{
	return resource->methods == NULL || g_strv_contains ((const char *const *) resource->methods,
							      method);
}
