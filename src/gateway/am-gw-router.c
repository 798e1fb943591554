/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway router: which deployed API and which of its resources a
 * request goes to, with synapse's rules (wso2-synapse RESTRequestHandler,
 * API.process, RESTUtils.getDispatchers and the three dispatchers; the URI
 * template matcher of synapse-commons templates/uri):
 *
 * API.  APIs with a version (version-type context or url) are tried before
 * the unversioned ones (WSO2's default-version API, the shipped /token,
 * /revoke... APIs), and an API whose context is "/" comes last.  A context
 * matches at a segment boundary: the path equals it or continues with '/'
 * or '?'.  A url-versioned API also needs the next segment to be its
 * version.  Where synapse would take whichever API its table yields first,
 * we take the longest matching context (deterministic; WSO2 refuses
 * duplicate contexts anyway).  The host is ignored.
 *
 * Resource.  The sub-path is what follows the context (and the version
 * segment), with the query; "" becomes "/".  Among the resources that
 * allow the method, in order: url-mapping dispatcher (an exact mapping;
 * else the longest "/a/b/..." prefix mapping, where "/ *" counts as length 1
 * and ties go to the first in document order; else a "*.ext" mapping),
 * then the uri-template dispatcher (first template in document order that
 * matches the whole sub-path including its query), then the default
 * resource (no mapping at all).  When no resource allows the method, the
 * same dispatchers run over every resource: a hit means 405, none 404.
 * When some resource allows the method but none matches, synapse answers
 * 404 even if a resource of another method would match.
 *
 * URI templates.  {var} takes characters up to a reserved character or the
 * next literal's first character; {+var} only stops at the next literal;
 * a literal ending in '*' swallows the rest; a trailing '/' on the request
 * is tolerated; a trailing "/ *" or "*" node may match nothing.  Values are
 * URL-decoded.  A template without a query part does not match a request
 * with one (use "/x/{id}*"), exactly as in synapse.
 */
#define G_LOG_DOMAIN "am.gw"
#include "config.h"

#include "am-gw-router.h"

#include <string.h>

/* ---- compiled mappings ---- */

typedef enum {
	NODE_LITERAL,
	NODE_SIMPLE,   /* {a,b} */
	NODE_RESERVED, /* {+a} */
} NodeKind;

typedef struct {
	NodeKind kind;
	char *token;	/* the literal, or the expression without its operator */
	char **vars;	/* expression variable names */
} TemplateNode;

typedef enum {
	MAP_DEFAULT,
	MAP_TEMPLATE,
	MAP_EXACT,
	MAP_PREFIX,
	MAP_EXTENSION,
} MappingKind;

struct _AmGwMapping {
	MappingKind kind;
	char *text;	  /* exact match / extension (".jsp") */
	char **segments;  /* MAP_PREFIX: "/a/b/ *" -> {a, b} */
	GArray *nodes;	  /* MAP_TEMPLATE: TemplateNode */
};

static void
template_node_clear (TemplateNode *n)
{
	g_free (n->token);
	g_strfreev (n->vars);
}

void
am_gw_mapping_free (gpointer mapping)
{
	AmGwMapping *m = mapping;

	if (m == NULL)
		return;
	g_free (m->text);
	g_strfreev (m->segments);
	if (m->nodes != NULL)
		g_array_unref (m->nodes);
	g_free (m);
}

static gboolean
template_add_expression (GArray *nodes, const char *expr, GError **error)
{
	TemplateNode n = { NODE_SIMPLE, NULL, NULL };

	if (strchr ("+#./;?&", expr[0]) != NULL) {
		if (expr[0] != '+' || expr[1] == '\0') {
			g_set_error (error, AM_GW_ERROR, AM_GW_ERROR_INVALID,
				     "unsupported template expression {%s}", expr);
			return FALSE;
		}
		n.kind = NODE_RESERVED;
		expr++;
	}
	n.token = g_strdup (expr);
	n.vars = g_strsplit (expr, ",", -1);
	for (guint i = 0; n.vars[i] != NULL; i++) {
		if (n.vars[i][0] == '\0') {
			g_set_error (error, AM_GW_ERROR, AM_GW_ERROR_INVALID,
				     "empty variable name in {%s}", expr);
			template_node_clear (&n);
			return FALSE;
		}
	}
	g_array_append_val (nodes, n);
	return TRUE;
}

static void
template_add_literal (GArray *nodes, const char *text, gsize len)
{
	TemplateNode n = { NODE_LITERAL, g_strndup (text, len), NULL };

	g_array_append_val (nodes, n);
}

/* synapse-commons URITemplateParser: literals and {expressions}; the
 * template's trailing '/' is dropped. */
static GArray *
template_compile (const char *template, GError **error)
{
	g_autoptr (GArray) nodes = g_array_new (FALSE, FALSE, sizeof (TemplateNode));
	g_autofree char *t = g_strdup (template);
	gsize len = strlen (t);
	gsize start = 0;
	gboolean in_expr = FALSE;

	g_array_set_clear_func (nodes, (GDestroyNotify) template_node_clear);
	if (len > 1 && t[len - 1] == '/')
		t[--len] = '\0';
	if (len == 0 || t[0] == '{') {
		g_set_error (error, AM_GW_ERROR, AM_GW_ERROR_INVALID,
			     "uri-template '%s' must begin with a literal", template);
		return NULL;
	}
	for (gsize i = 0; i < len; i++) {
		if (t[i] == '{') {
			if (in_expr) {
				g_set_error (error, AM_GW_ERROR, AM_GW_ERROR_INVALID,
					     "uri-template '%s': '{' inside an expression", template);
				return NULL;
			}
			if (i > start)
				template_add_literal (nodes, t + start, i - start);
			start = i + 1;
			in_expr = TRUE;
		} else if (t[i] == '}') {
			g_autofree char *expr = NULL;

			if (!in_expr || i == start) {
				g_set_error (error, AM_GW_ERROR, AM_GW_ERROR_INVALID,
					     "uri-template '%s': %s", template,
					     in_expr ? "empty expression {}" : "'}' outside an expression");
				return NULL;
			}
			expr = g_strndup (t + start, i - start);
			if (!template_add_expression (nodes, expr, error)) {
				g_prefix_error (error, "uri-template '%s': ", template);
				return NULL;
			}
			start = i + 1;
			in_expr = FALSE;
		}
	}
	if (in_expr) {
		g_set_error (error, AM_GW_ERROR, AM_GW_ERROR_INVALID,
			     "uri-template '%s': unterminated expression", template);
		return NULL;
	}
	if (start < len)
		template_add_literal (nodes, t + start, len - start);
	return g_steal_pointer (&nodes);
}

AmGwMapping *
am_gw_mapping_compile (const char *uri_template, const char *url_mapping, GError **error)
{
	g_autoptr (GArray) nodes = NULL;
	AmGwMapping *m;
	gsize len;

	if (uri_template != NULL) {
		nodes = template_compile (uri_template, error);
		if (nodes == NULL)
			return NULL;
		m = g_new0 (AmGwMapping, 1);
		m->kind = MAP_TEMPLATE;
		m->nodes = g_steal_pointer (&nodes);
		return m;
	}
	m = g_new0 (AmGwMapping, 1);
	if (url_mapping == NULL)
		return m; /* MAP_DEFAULT */
	/* synapse URLMappingHelper */
	len = strlen (url_mapping);
	if (url_mapping[0] == '/' && g_str_has_suffix (url_mapping, "/*")) {
		g_autofree char *inner = len > 2 ? g_strndup (url_mapping + 1, len - 3) : NULL;

		m->kind = MAP_PREFIX;
		m->segments = inner != NULL ? g_strsplit (inner, "/", -1) : g_new0 (char *, 1);
	} else if (g_str_has_prefix (url_mapping, "*.")) {
		m->kind = MAP_EXTENSION;
		m->text = g_strdup (url_mapping + 1);
	} else {
		m->kind = MAP_EXACT;
		m->text = g_strndup (url_mapping, len > 1 && url_mapping[len - 1] == '/' ? len - 1 : len);
	}
	return m;
}

/* ---- url-mapping matching ---- */

/* The path part of @url, as a new string. */
static char *
path_only (const char *url)
{
	const char *q = strchr (url, '?');

	return q != NULL ? g_strndup (url, q - url) : g_strdup (url);
}

static gboolean
mapping_exact (const AmGwMapping *m, const char *url)
{
	g_autofree char *path = NULL;
	gsize len;

	if (m->kind != MAP_EXACT)
		return FALSE;
	path = path_only (url);
	len = strlen (path);
	/* synapse trims trailing slashes before cutting the query */
	if (strcmp (url, "/") != 0 && strchr (url, '?') == NULL)
		while (len > 0 && path[len - 1] == '/')
			path[--len] = '\0';
	return strcmp (m->text, path) == 0;
}

static gboolean
mapping_extension (const AmGwMapping *m, const char *url)
{
	g_autofree char *path = NULL;

	if (m->kind != MAP_EXTENSION)
		return FALSE;
	path = path_only (url);
	return g_str_has_suffix (path, m->text);
}

static guint
mapping_prefix_length (const AmGwMapping *m, const char *url)
{
	g_autofree char *path = NULL;
	g_auto (GStrv) segs = NULL;
	guint n, nsegs;

	if (m->kind != MAP_PREFIX)
		return 0;
	n = g_strv_length (m->segments);
	if (n == 0)
		return 1;
	path = path_only (url[0] == '/' ? url + 1 : url);
	segs = g_strsplit (path, "/", -1);
	nsegs = g_strv_length (segs);
	/* Java's split drops trailing empty strings */
	while (nsegs > 1 && segs[nsegs - 1][0] == '\0')
		nsegs--;
	if (nsegs < n)
		return 0;
	for (guint i = 0; i < n; i++)
		if (strcmp (segs[i], m->segments[i]) != 0)
			return 0;
	return n;
}

/* ---- uri-template matching ---- */

static const char template_reserved[] = ":/?#[]@!$&'()*+,;=";

/* java.net.URLDecoder: '+' is a space, %XX a byte; NULL when malformed. */
static char *
url_decode (const char *s, gsize len)
{
	GString *out = g_string_sized_new (len);

	for (gsize i = 0; i < len; i++) {
		if (s[i] == '+') {
			g_string_append_c (out, ' ');
		} else if (s[i] == '%') {
			int hi = i + 2 < len ? g_ascii_xdigit_value (s[i + 1]) : -1;
			int lo = hi >= 0 ? g_ascii_xdigit_value (s[i + 2]) : -1;

			if (hi < 0 || lo < 0) {
				g_string_free (out, TRUE);
				return NULL;
			}
			g_string_append_c (out, (char) (hi * 16 + lo));
			i += 2;
		} else {
			g_string_append_c (out, s[i]);
		}
	}
	return g_string_free (out, FALSE);
}

/* SimpleStringExpression.setVariables: split on ',', missing ones are "",
 * a variable seen twice must keep its value. */
static gboolean
template_set_vars (const TemplateNode *n, const char *value, gsize len, GHashTable *vars)
{
	g_autofree char *copy = g_strndup (value, len);
	g_auto (GStrv) values = g_strsplit (copy, ",", -1);
	guint nvalues = g_strv_length (values);
	guint nvars = g_strv_length (n->vars);

	while (nvalues > 1 && values[nvalues - 1][0] == '\0')
		nvalues--;
	if (nvalues > nvars)
		return FALSE;
	for (guint i = 0; i < nvars; i++) {
		char *decoded = i < nvalues ? url_decode (values[i], strlen (values[i])) : g_strdup ("");
		const char *old;

		if (decoded == NULL)
			return FALSE;
		old = g_hash_table_lookup (vars, n->vars[i]);
		if (old != NULL && strcmp (old, decoded) != 0) {
			g_free (decoded);
			return FALSE;
		}
		g_hash_table_replace (vars, g_strdup (n->vars[i]), decoded);
	}
	return TRUE;
}

/* How much of @frag (length @len) node @i matches; -1 for no match. */
static gssize
template_node_match (const GArray *nodes, guint i, const char *frag, gsize len, GHashTable *vars)
{
	const TemplateNode *n = &g_array_index (nodes, TemplateNode, i);
	const TemplateNode *next = i + 1 < nodes->len ? &g_array_index (nodes, TemplateNode, i + 1) : NULL;
	char next_first = next != NULL && next->kind == NODE_LITERAL ? next->token[0] : '\1';
	gsize tlen;

	if (n->kind == NODE_LITERAL) {
		tlen = strlen (n->token);
		if (n->token[tlen - 1] == '*') {
			if (len < tlen - 1 || strncmp (frag, n->token, tlen - 1) != 0)
				return -1;
			return (gssize) len;
		}
		if (len < tlen || strncmp (frag, n->token, tlen) != 0)
			return -1;
		return (gssize) tlen;
	}
	for (gsize k = 0; k < len; k++) {
		char ch = frag[k];
		gboolean stop = ch == next_first ||
				(n->kind == NODE_SIMPLE && strchr (template_reserved, ch) != NULL);

		if (stop) {
			if (ch == ',')
				continue;
			return template_set_vars (n, frag, k, vars) ? (gssize) k : -1;
		}
		if (k == len - 1)
			return template_set_vars (n, frag, len, vars) ? (gssize) len : -1;
	}
	return 0;
}

/* Node.matchAll */
static gssize
template_match_all (const GArray *nodes, guint i, const char *frag, gsize len, GHashTable *vars)
{
	gssize m = template_node_match (nodes, i, frag, len, vars);
	gssize rest;

	if (m < 0)
		return -1;
	if ((gsize) m < len) {
		if (i + 1 < nodes->len) {
			rest = template_match_all (nodes, i + 1, frag + m, len - m, vars);
			return rest < 0 ? -1 : m + rest;
		}
		return m + (frag[len - 1] == '/' ? 1 : 0);
	}
	if (i + 1 < nodes->len) {
		const char *t = g_array_index (nodes, TemplateNode, i + 1).token;

		return strcmp (t, "*") == 0 || strcmp (t, "/*") == 0 ? m : -1;
	}
	return m;
}

gboolean
am_gw_mapping_match_template (const AmGwMapping *mapping, const char *sub_path, GHashTable *vars)
{
	gsize len = strlen (sub_path);

	if (mapping->kind != MAP_TEMPLATE)
		return FALSE;
	return template_match_all (mapping->nodes, 0, sub_path, len, vars) == (gssize) len;
}

/* ---- resource dispatch ---- */

/* The resource the three dispatchers pick among @api's resources
 * (those allowing @method only, unless @method is NULL). */
static AmGwResource *
dispatch (const AmGwApi *api, const char *method, const char *url, GHashTable **vars)
{
	AmGwResource *best = NULL;
	guint best_len = 0;

#define FOR_CANDIDATES(r)                                                                          \
	for (guint _i = 0; _i < api->resources->len; _i++)                                         \
		for (AmGwResource *r = g_ptr_array_index (api->resources, _i); r != NULL; r = NULL) \
			if (method == NULL || am_gw_resource_allows (r, method))

	FOR_CANDIDATES (r) {
		if (mapping_exact (r->compiled, url))
			return r;
	}
	FOR_CANDIDATES (r) {
		guint l = mapping_prefix_length (r->compiled, url);

		if (l > best_len) {
			best_len = l;
			best = r;
		}
	}
	if (best != NULL)
		return best;
	FOR_CANDIDATES (r) {
		if (mapping_extension (r->compiled, url))
			return r;
	}
	FOR_CANDIDATES (r) {
		const AmGwMapping *m = r->compiled;
		GHashTable *v;

		if (m->kind != MAP_TEMPLATE)
			continue;
		v = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
		if (am_gw_mapping_match_template (m, url, v)) {
			*vars = v;
			return r;
		}
		g_hash_table_unref (v);
	}
	FOR_CANDIDATES (r) {
		if (((const AmGwMapping *) r->compiled)->kind == MAP_DEFAULT)
			return r;
	}
#undef FOR_CANDIDATES
	return NULL;
}

/* ---- the API index ---- */

struct _AmGwRouter {
	GPtrArray *apis;	 /* every API (a ref each) */
	GHashTable *versioned;	 /* context -> GPtrArray of AmGwApi* (borrowed) */
	GHashTable *unversioned; /* context -> GPtrArray */
};

static void
index_add (GHashTable *table, AmGwApi *api)
{
	GPtrArray *list = g_hash_table_lookup (table, api->context);

	if (list == NULL) {
		list = g_ptr_array_new ();
		g_hash_table_insert (table, api->context, list);
	}
	g_ptr_array_add (list, api);
}

AmGwRouter *
am_gw_router_new (GPtrArray *apis)
{
	AmGwRouter *router = g_new0 (AmGwRouter, 1);

	router->apis = g_ptr_array_new_with_free_func ((GDestroyNotify) am_gw_api_unref);
	router->versioned = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
						   (GDestroyNotify) g_ptr_array_unref);
	router->unversioned = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
						     (GDestroyNotify) g_ptr_array_unref);
	for (guint i = 0; i < apis->len; i++) {
		AmGwApi *api = g_ptr_array_index (apis, i);

		g_ptr_array_add (router->apis, am_gw_api_ref (api));
		index_add (api->version_type == AM_GW_VERSION_NONE ? router->unversioned
								    : router->versioned,
			   api);
	}
	return router;
}

void
am_gw_router_free (AmGwRouter *router)
{
	if (router == NULL)
		return;
	g_hash_table_unref (router->versioned);
	g_hash_table_unref (router->unversioned);
	g_ptr_array_unref (router->apis);
	g_free (router);
}

/* The API of @table whose context is exactly @path[0..len) and fits the
 * rest of the path; *@after is where the sub-path starts. */
static AmGwApi *
index_probe (GHashTable *table, const char *path, gsize len, const char **after)
{
	char buf[256];
	g_autofree char *heap = NULL;
	char *key = len < sizeof buf ? buf : (heap = g_malloc (len + 1));
	GPtrArray *list;
	const char *rest = path + len;

	memcpy (key, path, len);
	key[len] = '\0';
	list = g_hash_table_lookup (table, key);

	for (guint i = 0; list != NULL && i < list->len; i++) {
		AmGwApi *api = g_ptr_array_index (list, i);

		if (api->version_type == AM_GW_VERSION_URL) {
			gsize vlen = strlen (api->version);

			if (rest[0] != '/' || strncmp (rest + 1, api->version, vlen) != 0 ||
			    (rest[1 + vlen] != '\0' && rest[1 + vlen] != '/' && rest[1 + vlen] != '?'))
				continue;
			*after = rest + 1 + vlen;
		} else {
			*after = rest;
		}
		return api;
	}
	return NULL;
}

/* Longest context first: every prefix of the path that ends at a segment
 * boundary ("/" itself only when @root). */
static AmGwApi *
index_find (GHashTable *table, const char *target, gboolean root, const char **after)
{
	gsize path_len = strcspn (target, "?");
	AmGwApi *api;

	if (root)
		return index_probe (table, "/", 1, after);
	for (gsize len = path_len; len > 1; len--) {
		if ((len < path_len && target[len] != '/') || target[len - 1] == '/')
			continue;
		api = index_probe (table, target, len, after);
		if (api != NULL)
			return api;
	}
	return NULL;
}

AmGwMatchStatus
am_gw_router_match (const AmGwRouter *router, const char *method, const char *target,
		    AmGwMatch *match)
{
	const char *after = NULL;
	AmGwApi *api;
	const char *q;

	memset (match, 0, sizeof (*match));
	if (target[0] != '/')
		return AM_GW_MATCH_NO_API;
	/* versioned APIs, unversioned ones, then a "/" context (synapse's
	 * defaultAPI) */
	api = index_find (router->versioned, target, FALSE, &after);
	if (api == NULL)
		api = index_find (router->unversioned, target, FALSE, &after);
	if (api == NULL)
		api = index_find (router->versioned, target, TRUE, &after);
	if (api == NULL)
		api = index_find (router->unversioned, target, TRUE, &after);
	if (api == NULL)
		return AM_GW_MATCH_NO_API;
	match->api = api;
	/* a context of "/" keeps the whole path */
	if (strcmp (api->context, "/") == 0)
		after = target;
	match->sub_path = g_strdup (after[0] != '\0' ? after : "/");
	q = strchr (match->sub_path, '?');
	match->query = q != NULL ? q + 1 : NULL;
	match->resource = dispatch (api, method, match->sub_path, &match->vars);
	if (match->resource != NULL)
		return AM_GW_MATCH_OK;
	/* API.process: no resource takes this method -> 405 if the path alone
	 * would match one; some do but none matches -> 404 */
	for (guint i = 0; i < api->resources->len; i++) {
		if (am_gw_resource_allows (g_ptr_array_index (api->resources, i), method))
			return AM_GW_MATCH_NO_RESOURCE;
	}
	{
		GHashTable *vars = NULL;
		AmGwResource *any = dispatch (api, NULL, match->sub_path, &vars);

		g_clear_pointer (&vars, g_hash_table_unref);
		return any != NULL ? AM_GW_MATCH_METHOD_NOT_ALLOWED : AM_GW_MATCH_NO_RESOURCE;
	}
}

void
am_gw_match_clear (AmGwMatch *match)
{
	g_clear_pointer (&match->sub_path, g_free);
	g_clear_pointer (&match->vars, g_hash_table_unref);
	match->api = NULL;
	match->resource = NULL;
	match->query = NULL;
}

const char *
am_gw_match_var (const AmGwMatch *match, const char *name)
{
	return match->vars != NULL ? g_hash_table_lookup (match->vars, name) : NULL;
}
