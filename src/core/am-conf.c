/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration loader.
 *
 * Reads the legacy Carbon files of a server directory (carbon.xml,
 * tomcat/catalina-server.xml, axis2/axis2.xml, user-mgt.xml,
 * datasources/master-datasources.xml, registry.xml, api-manager.xml) with
 * libxml2 (no network, no DTD, no entity expansion) and fills typed structs
 * from directive tables: element path -> type, offset, default, flags.  One
 * generic walker serves every table, the defaults go through the same parser
 * as file values, and loading never stops at the first problem: every error
 * is collected as `file:line: element: problem` so `apimd -t` reports them
 * all at once, as HAProxy does.
 *
 * Placeholders are substituted before typing, as Carbon does: ${carbon.home},
 * ${carbon.local.ip}, ${carbon.context}, ${mgt.transport.https.port},
 * ${http.nio.port}, ${admin.username}, ... and every -Dname=value given on
 * the command line.  Because some of those values come from the files
 * themselves (ports, the admin user), loading runs twice: a first pass
 * learns them, the second fills the snapshot for real.
 */
#define G_LOG_DOMAIN "am.conf"
#include "config.h"

#include "am-conf.h"

#include <ifaddrs.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <string.h>

#include "am-apim-conf.h"
#include "am-module.h"

G_DEFINE_QUARK (am - conf - error - quark, am_conf_error)

struct _AmConfDoc {
	xmlDoc *doc;
	char *name;
};

struct _AmConf {
	gatomicrefcount ref;
	char *carbon_home;
	AmConfProps *props;
	AmCoreConf core;
	AmApimConf apim;
	AmPorts ports;
	const AmModule **modules; /* NULL-terminated copy of the list loaded */
	gpointer *mconf;	  /* one typed struct per module */
};

static const char *const conf_file_names[AM_CONF_N_FILES] = {
	[AM_CONF_FILE_CARBON] = "repository/conf/carbon.xml",
	[AM_CONF_FILE_CATALINA] = "repository/conf/tomcat/catalina-server.xml",
	[AM_CONF_FILE_AXIS2] = "repository/conf/axis2/axis2.xml",
	[AM_CONF_FILE_USER_MGT] = "repository/conf/user-mgt.xml",
	[AM_CONF_FILE_DATASOURCES] = "repository/conf/datasources/master-datasources.xml",
	[AM_CONF_FILE_REGISTRY] = "repository/conf/registry.xml",
	[AM_CONF_FILE_API_MANAGER] = "repository/conf/api-manager.xml",
	[AM_CONF_FILE_IDENTITY] = "repository/conf/identity/identity.xml",
};

const char *
am_conf_file_name (AmConfFile file)
{
	g_return_val_if_fail (file < AM_CONF_N_FILES, NULL);
	return conf_file_names[file];
}

static void
conf_error (GPtrArray *errors, const char *file, long line, const char *path, const char *fmt, ...)
	G_GNUC_PRINTF (5, 6);

static void
conf_error (GPtrArray *errors, const char *file, long line, const char *path, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *msg = NULL;

	va_start (ap, fmt);
	msg = g_strdup_vprintf (fmt, ap);
	va_end (ap);
	if (line > 0)
		g_ptr_array_add (errors, g_strdup_printf ("%s:%ld: %s: %s", file, line, path, msg));
	else
		g_ptr_array_add (errors, g_strdup_printf ("%s: %s: %s", file, path, msg));
}

/* ---- XML documents ---- */

typedef struct {
	const char *name;
	GPtrArray *errors;
	guint n;
} XmlErrorSink;

static void
on_xml_error (void *data, xmlErrorPtr err)
{
	XmlErrorSink *sink = data;
	g_autofree char *msg = NULL;

	if (err == NULL || err->level < XML_ERR_ERROR)
		return;
	msg = g_strchomp (g_strdup (err->message != NULL ? err->message : "malformed XML"));
	g_ptr_array_add (sink->errors,
			 g_strdup_printf ("%s:%d: XML: %s", sink->name, err->line, msg));
	sink->n++;
}

/* The line of the DOCTYPE declaration (libxml2 keeps none for DTD nodes). */
static long
conf_doctype_line (const char *xml, gsize len)
{
	const char *at = g_strstr_len (xml, len, "<!DOCTYPE");
	long line = 1;

	for (const char *p = xml; at != NULL && p < at; p++)
		line += *p == '\n';
	return line;
}

static AmConfDoc *
conf_doc_parse (const char *xml, gsize len, const char *display_name, GPtrArray *errors)
{
	XmlErrorSink sink = { display_name, errors, 0 };
	xmlParserCtxt *ctxt;
	xmlDoc *doc;
	/* NONET: never fetch anything; no NOENT/DTDLOAD: entities stay unexpanded. */
	int options = XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_NOWARNING;
	AmConfDoc *self;

	if (len > G_MAXINT) {
		g_ptr_array_add (errors, g_strdup_printf ("%s: file too large", display_name));
		return NULL;
	}
	ctxt = xmlNewParserCtxt ();
	if (ctxt == NULL) {
		g_ptr_array_add (errors, g_strdup_printf ("%s: out of memory", display_name));
		return NULL;
	}
	xmlSetStructuredErrorFunc (&sink, on_xml_error);
	doc = xmlCtxtReadMemory (ctxt, xml, (int) len, display_name, NULL, options);
	xmlSetStructuredErrorFunc (NULL, NULL);
	xmlFreeParserCtxt (ctxt);

	if (doc != NULL && doc->intSubset != NULL) {
		g_ptr_array_add (errors,
				 g_strdup_printf ("%s:%ld: XML: DOCTYPE declarations are not accepted",
						  display_name, conf_doctype_line (xml, len)));
		sink.n++;
	}
	if (doc == NULL || sink.n > 0 || xmlDocGetRootElement (doc) == NULL) {
		if (sink.n == 0)
			g_ptr_array_add (errors, g_strdup_printf ("%s: XML: no document element",
								  display_name));
		if (doc != NULL)
			xmlFreeDoc (doc);
		return NULL;
	}
	self = g_new0 (AmConfDoc, 1);
	self->doc = doc;
	self->name = g_strdup (display_name);
	return self;
}

AmConfDoc *
am_conf_doc_load (const char *path, const char *display_name, GPtrArray *errors)
{
	g_autoptr (GError) error = NULL;
	g_autofree char *text = NULL;
	gsize len = 0;

	if (!g_file_get_contents (path, &text, &len, &error)) {
		g_ptr_array_add (errors, g_strdup_printf ("%s: cannot read: %s", display_name,
							  error->message));
		return NULL;
	}
	return conf_doc_parse (text, len, display_name, errors);
}

AmConfDoc *
am_conf_doc_load_memory (const char *xml, gsize len, const char *display_name, GPtrArray *errors)
{
	return conf_doc_parse (xml, len, display_name, errors);
}

struct _xmlDoc *
am_conf_doc_xml (AmConfDoc *doc)
{
	return doc->doc;
}

void
am_conf_doc_free (AmConfDoc *doc)
{
	if (doc == NULL)
		return;
	xmlFreeDoc (doc->doc);
	g_free (doc->name);
	g_free (doc);
}

/* ---- paths: "A/B[@k='v']/C", "A/@attr", "." ---- */

typedef struct {
	char *name; /* element local name, or attribute name when attr_only */
	char *pred_attr;
	char *pred_value;
	gboolean attr_only;
} PathSeg;

static void
path_segs_free (GArray *segs)
{
	for (guint i = 0; i < segs->len; i++) {
		PathSeg *s = &g_array_index (segs, PathSeg, i);
		g_free (s->name);
		g_free (s->pred_attr);
		g_free (s->pred_value);
	}
	g_array_free (segs, TRUE);
}

typedef GArray AmPathSegs;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmPathSegs, path_segs_free)

/* Splits on '/' outside predicates.  Table paths are ours, so a malformed
 * one is a programming error. */
static GArray *
path_parse (const char *path)
{
	GArray *segs = g_array_new (FALSE, TRUE, sizeof (PathSeg));
	const char *p = path;

	while (*p != '\0') {
		PathSeg seg = { 0 };
		const char *end = p;
		int depth = 0;

		while (*end != '\0' && (depth > 0 || *end != '/')) {
			depth += (*end == '[') - (*end == ']');
			end++;
		}
		if (end - p == 1 && *p == '.') {
			p = (*end == '/') ? end + 1 : end;
			continue;
		}
		if (*p == '@') {
			seg.attr_only = TRUE;
			seg.name = g_strndup (p + 1, end - p - 1);
		} else {
			const char *br = memchr (p, '[', end - p);
			seg.name = g_strndup (p, (br != NULL ? br : end) - p);
			if (br != NULL && br[1] == '@') {
				const char *eq = memchr (br, '=', end - br);
				g_assert (eq != NULL && eq[1] == '\'');
				seg.pred_attr = g_strndup (br + 2, eq - br - 2);
				seg.pred_value = g_strndup (eq + 2, (end - 2) - (eq + 2));
			}
		}
		g_array_append_val (segs, seg);
		p = (*end == '/') ? end + 1 : end;
	}
	return segs;
}

static gboolean
node_matches (xmlNode *n, const PathSeg *seg)
{
	g_autofree xmlChar *v = NULL;

	if (n->type != XML_ELEMENT_NODE || g_strcmp0 ((const char *) n->name, seg->name) != 0)
		return FALSE;
	if (seg->pred_attr == NULL)
		return TRUE;
	v = xmlGetProp (n, (const xmlChar *) seg->pred_attr);
	return v != NULL && g_strcmp0 ((const char *) v, seg->pred_value) == 0;
}

/* Every element reached by the element segments of @segs from @ctx, in
 * document order (a trailing attribute segment is ignored here). */
static void
path_collect (xmlNode *ctx, GArray *segs, guint i, GPtrArray *out)
{
	if (i == segs->len || g_array_index (segs, PathSeg, i).attr_only) {
		g_ptr_array_add (out, ctx);
		return;
	}
	for (xmlNode *c = ctx->children; c != NULL; c = c->next) {
		if (node_matches (c, &g_array_index (segs, PathSeg, i)))
			path_collect (c, segs, i + 1, out);
	}
}

/* The deepest element that exists along @segs, for the line of a "missing"
 * message: the parent the element should have been in. */
static xmlNode *
path_nearest (xmlNode *node, GArray *segs)
{
	for (guint i = 0; node != NULL && i < segs->len; i++) {
		const PathSeg *seg = &g_array_index (segs, PathSeg, i);
		xmlNode *next = NULL;

		if (seg->attr_only)
			break;
		for (xmlNode *c = node->children; c != NULL && next == NULL; c = c->next) {
			if (node_matches (c, seg))
				next = c;
		}
		if (next == NULL)
			break;
		node = next;
	}
	return node;
}

/* The text a directive sees at an element: its trimmed content, or an
 * attribute's value.  NULL when the attribute is absent. */
static char *
path_value (xmlNode *node, GArray *segs)
{
	xmlChar *raw;
	char *s;

	if (segs->len > 0 && g_array_index (segs, PathSeg, segs->len - 1).attr_only) {
		raw = xmlGetProp (node, (const xmlChar *) g_array_index (segs, PathSeg,
									    segs->len - 1).name);
	} else {
		raw = xmlNodeGetContent (node);
	}
	if (raw == NULL)
		return NULL;
	s = g_strstrip (g_strdup ((const char *) raw));
	xmlFree (raw);
	return s;
}

/* ---- placeholders ---- */

char *
am_conf_expand (const char *text, AmConfProps *props, char **unknown)
{
	GString *out = g_string_sized_new (strlen (text));
	const char *p = text;

	while (*p != '\0') {
		const char *start = strstr (p, "${");
		const char *end;
		g_autofree char *name = NULL;
		const char *value;

		if (start == NULL || (end = strchr (start + 2, '}')) == NULL) {
			g_string_append (out, p);
			break;
		}
		g_string_append_len (out, p, start - p);
		name = g_strndup (start + 2, end - start - 2);
		value = props != NULL ? g_hash_table_lookup (props, name) : NULL;
		if (value == NULL) {
			if (unknown != NULL)
				*unknown = g_steal_pointer (&name);
			g_string_free (out, TRUE);
			return NULL;
		}
		g_string_append (out, value);
		p = end + 1;
	}
	return g_string_free (out, FALSE);
}

/* ---- typed values ---- */

static gboolean
parse_int (const char *text, gint64 min, gint64 max, gint64 *out, char **problem)
{
	g_autoptr (GError) local = NULL;
	gint64 lo = max > min ? min : G_MININT64;
	gint64 hi = max > min ? max : G_MAXINT64;

	if (!g_ascii_string_to_signed (text, 10, lo, hi, out, &local)) {
		if (g_error_matches (local, G_NUMBER_PARSER_ERROR,
				     G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS))
			*problem = g_strdup_printf ("'%s' is out of range [%" G_GINT64_FORMAT
						    ", %" G_GINT64_FORMAT "]",
						    text, lo, hi);
		else
			*problem = g_strdup_printf ("'%s' is not a whole number", text);
		return FALSE;
	}
	return TRUE;
}

static gboolean
parse_url (const char *text, char **problem)
{
	g_autoptr (GUri) uri = NULL;
	g_autoptr (GError) local = NULL;
	static const char *const schemes[] = { "http", "https", "tcp", "ssl", "ws", "wss", NULL };

	uri = g_uri_parse (text, G_URI_FLAGS_NONE, &local);
	if (uri == NULL) {
		*problem = g_strdup_printf ("'%s' is not a URL: %s", text, local->message);
		return FALSE;
	}
	if (!g_strv_contains (schemes, g_uri_get_scheme (uri)) ||
	    g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0') {
		*problem = g_strdup_printf ("'%s' is not an absolute http(s)/tcp/ssl URL", text);
		return FALSE;
	}
	return TRUE;
}

static char **
parse_strv (const char *text)
{
	g_auto (GStrv) parts = g_strsplit (text, ",", -1);
	GPtrArray *out = g_ptr_array_new ();

	for (guint i = 0; parts[i] != NULL; i++) {
		g_strstrip (parts[i]);
		if (*parts[i] != '\0')
			g_ptr_array_add (out, g_strdup (parts[i]));
	}
	g_ptr_array_add (out, NULL);
	return (char **) g_ptr_array_free (out, FALSE);
}

static gboolean
parse_enum (const AmConfEnum *values, const char *text, int *out, char **problem)
{
	g_autoptr (GString) names = g_string_new (NULL);

	for (const AmConfEnum *e = values; e->name != NULL; e++) {
		if (g_ascii_strcasecmp (e->name, text) == 0) {
			*out = e->value;
			return TRUE;
		}
		g_string_append_printf (names, "%s%s", names->len ? ", " : "", e->name);
	}
	*problem = g_strdup_printf ("'%s' is not one of: %s", text, names->str);
	return FALSE;
}

/* Stores @text in @field according to @d; FALSE with *problem set. */
static gboolean
parse_value (const AmConfDirective *d, const char *text, gpointer field, char **problem)
{
	gint64 v = 0;

	switch (d->type) {
	case AM_CONF_STR:
		*(char **) field = g_strdup (text);
		return TRUE;
	case AM_CONF_URL:
		if (!parse_url (text, problem))
			return FALSE;
		*(char **) field = g_strdup (text);
		return TRUE;
	case AM_CONF_BOOL:
		if (g_ascii_strcasecmp (text, "true") == 0)
			*(gboolean *) field = TRUE;
		else if (g_ascii_strcasecmp (text, "false") == 0)
			*(gboolean *) field = FALSE;
		else {
			*problem = g_strdup_printf ("'%s' is not true or false", text);
			return FALSE;
		}
		return TRUE;
	case AM_CONF_INT:
		if (!parse_int (text, d->max > d->min ? d->min : G_MININT,
				d->max > d->min ? d->max : G_MAXINT, &v, problem))
			return FALSE;
		*(int *) field = (int) v;
		return TRUE;
	case AM_CONF_INT64:
		if (!parse_int (text, d->min, d->max, &v, problem))
			return FALSE;
		*(gint64 *) field = v;
		return TRUE;
	case AM_CONF_PORT:
		if (!parse_int (text, 1, 65535, &v, problem))
			return FALSE;
		*(int *) field = (int) v;
		return TRUE;
	case AM_CONF_ENUM:
		return parse_enum (d->extra, text, (int *) field, problem);
	case AM_CONF_STRV:
		*(char ***) field = parse_strv (text);
		return TRUE;
	case AM_CONF_LIST:
		break;
	}
	g_assert_not_reached ();
}

/* ---- applying tables ---- */

typedef struct {
	const char *file;   /* display name */
	xmlNode *root;	    /* context element, NULL when the file is absent */
	const char *prefix; /* path prefix for messages (list items) */
	AmConfProps *props;
	GPtrArray *errors;
} ApplyCtx;

static void apply_table (const ApplyCtx *ctx, const AmConfDirective *table, gpointer base);

static void
apply_scalar (const ApplyCtx *ctx, const AmConfDirective *d, gpointer field, xmlNode *node,
	      GArray *segs, const char *label)
{
	g_autofree char *raw = NULL;
	g_autofree char *text = NULL;
	g_autofree char *unknown = NULL;
	g_autofree char *problem = NULL;
	xmlNode *near = node != NULL ? node : (ctx->root ? path_nearest (ctx->root, segs) : NULL);
	long line = near != NULL ? xmlGetLineNo (near) : 0;

	if (node != NULL)
		raw = path_value (node, segs);
	if (raw == NULL) {
		if (d->flags & AM_CONF_REQUIRED) {
			conf_error (ctx->errors, ctx->file, line, label, "required but missing");
			return;
		}
		if (d->def == NULL)
			return;
		raw = g_strdup (d->def);
	}
	text = am_conf_expand (raw, ctx->props, &unknown);
	if (text == NULL) {
		conf_error (ctx->errors, ctx->file, line, label, "unknown property ${%s}", unknown);
		return;
	}
	if (*text == '\0' && d->type != AM_CONF_STR && d->type != AM_CONF_STRV) {
		conf_error (ctx->errors, ctx->file, line, label, "empty value");
		return;
	}
	if (!parse_value (d, text, field, &problem))
		conf_error (ctx->errors, ctx->file, line, label, "%s", problem);
}

static void
apply_list (const ApplyCtx *ctx, const AmConfDirective *d, gpointer field, GPtrArray *nodes,
	    const char *label)
{
	const AmConfListSpec *spec = d->extra;
	GPtrArray *items = g_ptr_array_new ();

	for (guint i = 0; i < nodes->len; i++) {
		g_autofree char *prefix = g_strdup_printf ("%s[%u]", label, i + 1);
		ApplyCtx sub = *ctx;
		gpointer item = g_malloc0 (spec->size);

		sub.root = nodes->pdata[i];
		sub.prefix = prefix;
		apply_table (&sub, spec->directives, item);
		g_ptr_array_add (items, item);
	}
	*(GPtrArray **) field = items;
}

static void
apply_table (const ApplyCtx *ctx, const AmConfDirective *table, gpointer base)
{
	for (const AmConfDirective *d = table; d->path != NULL; d++) {
		g_autoptr (AmPathSegs) segs = path_parse (d->path);
		g_autoptr (GPtrArray) nodes = g_ptr_array_new ();
		g_autofree char *label = NULL;
		gpointer field = G_STRUCT_MEMBER_P (base, d->offset);

		label = ctx->prefix != NULL ? g_strdup_printf ("%s/%s", ctx->prefix, d->path)
					    : g_strdup (d->path);
		if (ctx->root != NULL)
			path_collect (ctx->root, segs, 0, nodes);
		/* an absent attribute does not count as a match */
		if (nodes->len > 0 && segs->len > 0 &&
		    g_array_index (segs, PathSeg, segs->len - 1).attr_only) {
			const char *attr = g_array_index (segs, PathSeg, segs->len - 1).name;
			for (guint i = nodes->len; i > 0; i--) {
				if (!xmlHasProp (nodes->pdata[i - 1], (const xmlChar *) attr))
					g_ptr_array_remove_index (nodes, i - 1);
			}
		}
		if (d->type == AM_CONF_LIST)
			apply_list (ctx, d, field, nodes, label);
		else
			apply_scalar (ctx, d, field, nodes->len ? nodes->pdata[0] : NULL, segs,
				      label);
	}
}

gboolean
am_conf_apply (AmConfDoc *const *docs, const AmConfDirective *table, gpointer base,
	       AmConfProps *props, GPtrArray *errors)
{
	guint before = errors->len;

	for (const AmConfDirective *d = table; d->path != NULL; d++) {
		const AmConfDirective one[2] = { *d, { 0 } };
		AmConfDoc *doc = docs[d->file];
		ApplyCtx ctx = {
			.file = am_conf_file_name (d->file),
			.root = doc != NULL ? xmlDocGetRootElement (doc->doc) : NULL,
			.props = props,
			.errors = errors,
		};
		if (doc != NULL)
			ctx.file = doc->name;
		apply_table (&ctx, one, base);
	}
	return errors->len == before;
}

void
am_conf_clear (const AmConfDirective *table, gpointer base)
{
	for (const AmConfDirective *d = table; d->path != NULL; d++) {
		gpointer field = G_STRUCT_MEMBER_P (base, d->offset);

		switch (d->type) {
		case AM_CONF_STR:
		case AM_CONF_URL:
			g_clear_pointer ((char **) field, g_free);
			break;
		case AM_CONF_STRV:
			g_clear_pointer ((char ***) field, g_strfreev);
			break;
		case AM_CONF_LIST: {
			GPtrArray *items = *(GPtrArray **) field;
			const AmConfListSpec *spec = d->extra;
			if (items == NULL)
				break;
			for (guint i = 0; i < items->len; i++) {
				am_conf_clear (spec->directives, items->pdata[i]);
				g_free (items->pdata[i]);
			}
			g_ptr_array_unref (items);
			*(GPtrArray **) field = NULL;
			break;
		}
		default:
			break;
		}
	}
}

/* ---- formatting: -T and reload comparison ---- */

static void format_table (GString *out, const AmConfDirective *table, gconstpointer base,
			  const char *file, const char *prefix, gboolean mask);

static void
format_value (GString *out, const AmConfDirective *d, gconstpointer field, gboolean mask)
{
	if (mask && (d->flags & AM_CONF_SECRET)) {
		g_string_append (out, *(char *const *) field != NULL ? "********" : "(unset)");
		return;
	}
	switch (d->type) {
	case AM_CONF_STR:
	case AM_CONF_URL: {
		const char *s = *(char *const *) field;
		g_string_append (out, s != NULL ? s : "(unset)");
		break;
	}
	case AM_CONF_BOOL:
		g_string_append (out, *(const gboolean *) field ? "true" : "false");
		break;
	case AM_CONF_INT:
	case AM_CONF_PORT:
		g_string_append_printf (out, "%d", *(const int *) field);
		break;
	case AM_CONF_INT64:
		g_string_append_printf (out, "%" G_GINT64_FORMAT, *(const gint64 *) field);
		break;
	case AM_CONF_ENUM:
		for (const AmConfEnum *e = d->extra; e->name != NULL; e++) {
			if (e->value == *(const int *) field) {
				g_string_append (out, e->name);
				break;
			}
		}
		break;
	case AM_CONF_STRV: {
		char *const *v = *(char **const *) field;
		for (guint i = 0; v != NULL && v[i] != NULL; i++)
			g_string_append_printf (out, "%s%s", i ? "," : "", v[i]);
		break;
	}
	case AM_CONF_LIST:
		break;
	}
}

static void
format_table (GString *out, const AmConfDirective *table, gconstpointer base, const char *file,
	      const char *prefix, gboolean mask)
{
	for (const AmConfDirective *d = table; d->path != NULL; d++) {
		gconstpointer field = G_STRUCT_MEMBER_P (base, d->offset);
		const char *f = file != NULL ? file : am_conf_file_name (d->file);
		g_autofree char *label = prefix != NULL ? g_strdup_printf ("%s/%s", prefix, d->path)
							: g_strdup (d->path);

		if (d->type == AM_CONF_LIST) {
			GPtrArray *items = *(GPtrArray *const *) field;
			const AmConfListSpec *spec = d->extra;
			for (guint i = 0; items != NULL && i < items->len; i++) {
				g_autofree char *p = g_strdup_printf ("%s[%u]", label, i + 1);
				format_table (out, spec->directives, items->pdata[i], f, p, mask);
			}
			if (items == NULL || items->len == 0)
				g_string_append_printf (out, "%s: %s = (none)\n", f, label);
			continue;
		}
		g_string_append_printf (out, "%s: %s = ", f, label);
		format_value (out, d, field, mask);
		g_string_append_c (out, '\n');
	}
}

/* ---- notices for elements nobody reads ---- */

static void
collect_known (GHashTable *known, const AmConfDirective *table, AmConfFile file,
	       gboolean in_list, const char *prefix)
{
	for (const AmConfDirective *d = table; d->path != NULL; d++) {
		g_autoptr (AmPathSegs) segs = NULL;
		g_autoptr (GString) p = g_string_new (prefix);

		if (!in_list && d->file != file)
			continue;
		segs = path_parse (d->path);
		for (guint i = 0; i < segs->len; i++) {
			PathSeg *s = &g_array_index (segs, PathSeg, i);
			if (s->attr_only)
				break;
			g_string_append_printf (p, "%s%s", p->len ? "/" : "", s->name);
		}
		if (d->type == AM_CONF_LIST)
			collect_known (known, ((const AmConfListSpec *) d->extra)->directives, file,
				       TRUE, p->str);
		g_hash_table_add (known, g_strdup (p->str));
	}
}

static void
notice_unknown (xmlNode *node, GString *path, GHashTable *known, const char *file)
{
	gboolean leaf = TRUE;

	for (xmlNode *c = node->children; c != NULL; c = c->next) {
		gsize len = path->len;
		if (c->type != XML_ELEMENT_NODE)
			continue;
		leaf = FALSE;
		g_string_append_printf (path, "%s%s", path->len ? "/" : "", (const char *) c->name);
		notice_unknown (c, path, known, file);
		g_string_truncate (path, len);
	}
	if (leaf && path->len > 0 && !g_hash_table_contains (known, path->str))
		g_debug ("%s:%ld: %s: not used by apimd, ignored", file, xmlGetLineNo (node),
			 path->str);
}

static void
conf_notice_unknown (AmConfDoc *const *docs, const AmModule *const *modules)
{
	if (g_getenv ("G_MESSAGES_DEBUG") == NULL)
		return;
	for (int f = 0; f < AM_CONF_N_FILES; f++) {
		g_autoptr (GHashTable) known = g_hash_table_new_full (g_str_hash, g_str_equal,
								      g_free, NULL);
		g_autoptr (GString) path = g_string_new (NULL);

		if (docs[f] == NULL)
			continue;
		collect_known (known, am_core_directives, f, FALSE, "");
		collect_known (known, am_apim_directives, f, FALSE, "");
		for (guint m = 0; modules[m] != NULL; m++) {
			if (modules[m]->directives != NULL)
				collect_known (known, modules[m]->directives, f, FALSE, "");
		}
		notice_unknown (xmlDocGetRootElement (docs[f]->doc), path, known, docs[f]->name);
	}
}

/* ---- derived properties ---- */

/* Carbon's ${carbon.local.ip}: carbon.xml HostName, else the first
 * non-loopback IPv4 address of the machine, else 127.0.0.1. */
static char *
conf_local_ip (const AmCoreConf *core)
{
	struct ifaddrs *ifs = NULL;
	char buf[INET_ADDRSTRLEN] = "127.0.0.1";

	if (core->host_name != NULL && *core->host_name != '\0')
		return g_strdup (core->host_name);
	if (getifaddrs (&ifs) == 0) {
		for (struct ifaddrs *i = ifs; i != NULL; i = i->ifa_next) {
			struct sockaddr_in *sin = (struct sockaddr_in *) i->ifa_addr;
			if (sin == NULL || sin->sin_family != AF_INET ||
			    ntohl (sin->sin_addr.s_addr) >> 24 == 127)
				continue;
			inet_ntop (AF_INET, &sin->sin_addr, buf, sizeof buf);
			break;
		}
		freeifaddrs (ifs);
	}
	return g_strdup (buf);
}

static void
props_set_int (AmConfProps *props, const char *name, int v)
{
	g_hash_table_insert (props, g_strdup (name), g_strdup_printf ("%d", v));
}

static void
conf_derive_props (AmConf *self, GHashTable *sysprops)
{
	AmConfProps *p = self->props;
	const AmCoreConf *c = &self->core;
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_insert (p, g_strdup ("carbon.local.ip"), conf_local_ip (c));
	g_hash_table_insert (p, g_strdup ("carbon.context"),
			     g_strdup (c->web_context_root ? c->web_context_root : "/"));
	props_set_int (p, "portOffset", self->ports.offset);
	props_set_int (p, "mgt.transport.http.port", self->ports.mgt_http);
	props_set_int (p, "mgt.transport.https.port", self->ports.mgt_https);
	props_set_int (p, "carbon.management.port", self->ports.mgt_https);
	props_set_int (p, "http.nio.port", self->ports.nio_http);
	props_set_int (p, "https.nio.port", self->ports.nio_https);
	props_set_int (p, "receiver.url.port", self->ports.tm_receiver);
	props_set_int (p, "auth.url.port", self->ports.tm_auth);
	props_set_int (p, "jms.port", self->ports.jms);
	if (c->admin_user != NULL)
		g_hash_table_insert (p, g_strdup ("admin.username"), g_strdup (c->admin_user));
	if (c->admin_password != NULL)
		g_hash_table_insert (p, g_strdup ("admin.password"), g_strdup (c->admin_password));
	/* -Dname=value wins, as Java system properties set on the command line do */
	if (sysprops != NULL) {
		g_hash_table_iter_init (&it, sysprops);
		while (g_hash_table_iter_next (&it, &k, &v))
			g_hash_table_insert (p, g_strdup (k), g_strdup (v));
	}
}

static AmConfProps *
conf_base_props (const char *carbon_home, GHashTable *sysprops)
{
	AmConfProps *p = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	GHashTableIter it;
	gpointer k, v;

	g_hash_table_insert (p, g_strdup ("carbon.home"), g_strdup (carbon_home));
	if (sysprops != NULL) {
		g_hash_table_iter_init (&it, sysprops);
		while (g_hash_table_iter_next (&it, &k, &v))
			g_hash_table_insert (p, g_strdup (k), g_strdup (v));
	}
	return p;
}

/* ---- the snapshot ---- */

static guint
conf_n_modules (AmConf *self)
{
	guint n = 0;
	while (self->modules != NULL && self->modules[n] != NULL)
		n++;
	return n;
}

static void
conf_free (AmConf *self)
{
	guint n = conf_n_modules (self);

	/* mconf is NULL when the files could not even be read */
	for (guint i = 0; self->mconf != NULL && i < n; i++) {
		if (self->mconf[i] != NULL && self->modules[i]->directives != NULL)
			am_conf_clear (self->modules[i]->directives, self->mconf[i]);
		g_free (self->mconf[i]);
	}
	am_conf_clear (am_apim_directives, &self->apim);
	am_conf_clear (am_core_directives, &self->core);
	g_free (self->mconf);
	g_free (self->modules);
	g_clear_pointer (&self->props, g_hash_table_unref);
	g_free (self->carbon_home);
	g_free (self);
}

AmConf *
am_conf_ref (AmConf *conf)
{
	g_atomic_ref_count_inc (&conf->ref);
	return conf;
}

void
am_conf_unref (AmConf *conf)
{
	if (conf != NULL && g_atomic_ref_count_dec (&conf->ref))
		conf_free (conf);
}

static gboolean
conf_load_files (AmConf *self, AmConfDoc **docs, GPtrArray *errors)
{
	for (int f = 0; f < AM_CONF_N_FILES; f++) {
		g_autofree char *path = g_build_filename (self->carbon_home, conf_file_names[f],
							  NULL);
		/* identity.xml is optional: its OAuth defaults are WSO2's */
		if (f == AM_CONF_FILE_IDENTITY && !g_file_test (path, G_FILE_TEST_EXISTS))
			continue;
		docs[f] = am_conf_doc_load (path, conf_file_names[f], errors);
	}
	return errors->len == 0;
}

static void
conf_fill (AmConf *self, AmConfDoc **docs, GHashTable *sysprops, GPtrArray *errors)
{
	g_autoptr (GPtrArray) scratch = g_ptr_array_new_with_free_func (g_free);
	guint n = conf_n_modules (self);

	/* pass 1: learn ports, host and admin user for the placeholders */
	self->props = conf_base_props (self->carbon_home, sysprops);
	am_conf_apply ((AmConfDoc *const *) docs, am_core_directives, &self->core, self->props,
		       scratch);
	am_ports_compute (&self->core, sysprops, &self->ports, scratch);
	conf_derive_props (self, sysprops);
	am_conf_clear (am_core_directives, &self->core);
	memset (&self->core, 0, sizeof self->core);

	/* pass 2: for real */
	am_conf_apply ((AmConfDoc *const *) docs, am_core_directives, &self->core, self->props,
		       errors);
	am_conf_apply ((AmConfDoc *const *) docs, am_apim_directives, &self->apim, self->props,
		       errors);
	am_ports_compute (&self->core, sysprops, &self->ports, errors);
	am_core_conf_check (&self->core, errors);
	am_apim_conf_check (&self->apim, errors);
	self->mconf = g_new0 (gpointer, n + 1);
	for (guint i = 0; i < n; i++) {
		const AmModule *m = self->modules[i];
		if (m->directives == NULL)
			continue;
		self->mconf[i] = g_malloc0 (m->conf_size);
		am_conf_apply ((AmConfDoc *const *) docs, m->directives, self->mconf[i],
			       self->props, errors);
	}
}

static void
conf_check_modules (AmConf *self, GPtrArray *errors)
{
	for (guint i = 0; self->modules[i] != NULL; i++) {
		g_autoptr (GError) local = NULL;
		const AmModule *m = self->modules[i];

		if (m->conf_check != NULL && !m->conf_check (self, self->mconf[i], &local))
			g_ptr_array_add (errors, g_strdup (local->message));
	}
}

AmConf *
am_conf_load (const char *carbon_home, GHashTable *sysprops, const AmModule *const *modules,
	      GError **error)
{
	g_autoptr (AmConf) self = g_new0 (AmConf, 1);
	g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);
	AmConfDoc *docs[AM_CONF_N_FILES] = { NULL };
	guint n = 0;

	g_atomic_ref_count_init (&self->ref);
	self->carbon_home = g_canonicalize_filename (carbon_home, NULL);
	while (modules != NULL && modules[n] != NULL)
		n++;
	self->modules = g_new0 (const AmModule *, n + 1);
	memcpy (self->modules, modules, n * sizeof (gpointer));

	if (conf_load_files (self, docs, errors)) {
		conf_fill (self, docs, sysprops, errors);
		if (errors->len == 0)
			conf_check_modules (self, errors);
		conf_notice_unknown ((AmConfDoc *const *) docs, modules);
	}
	for (int f = 0; f < AM_CONF_N_FILES; f++)
		am_conf_doc_free (docs[f]);

	if (errors->len > 0) {
		g_autoptr (GString) msg = g_string_new (NULL);
		for (guint i = 0; i < errors->len; i++)
			g_string_append_printf (msg, "%s%s", i ? "\n" : "",
						(char *) errors->pdata[i]);
		g_set_error_literal (error, AM_CONF_ERROR, AM_CONF_ERROR_INVALID, msg->str);
		return NULL;
	}
	return g_steal_pointer (&self);
}

const AmCoreConf *
am_conf_core (AmConf *conf)
{
	return &conf->core;
}

const AmApimConf *
am_conf_apim (AmConf *conf)
{
	return &conf->apim;
}

const AmPorts *
am_conf_ports (AmConf *conf)
{
	return &conf->ports;
}

const char *
am_conf_carbon_home (AmConf *conf)
{
	return conf->carbon_home;
}

gconstpointer
am_conf_module (AmConf *conf, const AmModule *module)
{
	for (guint i = 0; conf->modules[i] != NULL; i++) {
		if (conf->modules[i] == module)
			return conf->mconf[i];
	}
	return NULL;
}

const char *
am_conf_property (AmConf *conf, const char *name)
{
	return g_hash_table_lookup (conf->props, name);
}

static void
conf_format_all (AmConf *conf, GString *out, gboolean mask, gboolean restart_only)
{
	const AmConfDirective *tables[3] = { am_core_directives, am_apim_directives, NULL };
	gconstpointer bases[2] = { &conf->core, &conf->apim };

	for (guint t = 0; tables[t] != NULL; t++) {
		for (const AmConfDirective *d = tables[t]; d->path != NULL; d++) {
			const AmConfDirective one[2] = { *d, { 0 } };
			if (restart_only && (d->flags & AM_CONF_RELOADABLE))
				continue;
			format_table (out, one, bases[t], NULL, NULL, mask);
		}
	}
	for (guint i = 0; conf->modules[i] != NULL; i++) {
		const AmModule *m = conf->modules[i];
		for (const AmConfDirective *d = m->directives; d != NULL && d->path != NULL; d++) {
			const AmConfDirective one[2] = { *d, { 0 } };
			if (restart_only && (d->flags & AM_CONF_RELOADABLE))
				continue;
			format_table (out, one, conf->mconf[i], NULL, NULL, mask);
		}
	}
}

char *
am_conf_dump (AmConf *conf)
{
	GString *out = g_string_new (NULL);
	const AmPorts *p = &conf->ports;

	g_string_append_printf (out, "# carbon.home = %s\n", conf->carbon_home);
	g_string_append_printf (out,
				"# ports: offset=%d mgt.http=%d mgt.https=%d nio.http=%d "
				"nio.https=%d thrift.server=%d thrift.client=%d\n",
				p->offset, p->mgt_http, p->mgt_https, p->nio_http, p->nio_https,
				p->thrift_server, p->thrift_client);
	conf_format_all (conf, out, TRUE, FALSE);
	return g_string_free (out, FALSE);
}

GPtrArray *
am_conf_restart_changes (AmConf *old_conf, AmConf *new_conf)
{
	GPtrArray *changed = g_ptr_array_new_with_free_func (g_free);
	g_autoptr (GString) a = g_string_new (NULL);
	g_autoptr (GString) b = g_string_new (NULL);
	g_auto (GStrv) la = NULL;
	g_auto (GStrv) lb = NULL;

	conf_format_all (old_conf, a, FALSE, TRUE);
	conf_format_all (new_conf, b, FALSE, TRUE);
	if (memcmp (&old_conf->ports, &new_conf->ports, sizeof (AmPorts)) != 0)
		g_ptr_array_add (changed, g_strdup ("ports (Ports/Offset, connector ports)"));
	la = g_strsplit (a->str, "\n", -1);
	lb = g_strsplit (b->str, "\n", -1);
	/* the same tables in the same order, so lines pair up; a list that
	 * changed length shifts everything after it */
	if (g_strv_length (la) != g_strv_length (lb)) {
		g_ptr_array_add (changed, g_strdup ("a repeated element was added or removed"));
		return changed;
	}
	for (guint i = 0; la[i] != NULL; i++) {
		const char *eq;
		if (g_strcmp0 (la[i], lb[i]) == 0)
			continue;
		eq = strstr (la[i], " = ");
		g_ptr_array_add (changed, eq ? g_strndup (la[i], eq - la[i]) : g_strdup (la[i]));
	}
	return changed;
}
