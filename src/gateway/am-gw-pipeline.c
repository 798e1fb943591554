/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway's request pipeline, run on the engine's worker threads
 * (ARCHITECTURE.md §2).  One request goes through these phases, each a
 * function that either answers or hands on to the next:
 *
 *   route     snapshot ref, API + resource (404 main / 404 / 405 faults),
 *             the API's transports (403 main);
 *             a default-version API is re-routed to its versioned API here
 *             instead of looping through localhost as WSO2 does
 *   cors      OPTIONS preflight answered (CORSRequestHandler) when the
 *             resource does not list OPTIONS itself
 *   auth      only for APIs with APIAuthenticationHandler: the resource's
 *             auth scheme from the Key Manager's getAllURITemplates (cached
 *             per worker), None = no token and key type PRODUCTION; else
 *             the Bearer token (wso2-interfaces.md §8.1), the gateway token
 *             cache, on a miss validateKey off-thread with the request
 *             suspended; the environment rule (§6.4)
 *   throttle  ThrottleHandler's hard limit (productionMaxCount /
 *             sandboxMaxCount a second, per node): 900801, 503.  The
 *             subscription/application/resource tiers of advanced
 *             throttling are the Traffic Manager's decisions and are not
 *             applied here
 *   forward   the PRODUCTION or SANDBOX route of the resource, its
 *             endpoint's leaves (load-balance round-robin per worker,
 *             failover in order, suspended ones skipped), the target URL
 *             (uri.var.* substituted; otherwise endpoint path + the sub-path
 *             after the context, as synapse's REST_URL_POSTFIX), headers
 *   upstream  a connect failure fails over while the request can be
 *             replayed; endpoint suspension as synapse's suspendOnFailure /
 *             markForSuspension; 101503/101504/303001 faults
 *   done      access log line and per-API counters (per worker)
 *
 * Nothing here blocks: Key Manager calls run on the key client's pool and
 * come back on the worker's main context; the access log is buffered per
 * worker and written at most once a second (or per 16 KiB).  Tokens and
 * Authorization headers never reach a log.
 */
#define G_LOG_DOMAIN "am.gw"
#include "config.h"

#include "am-gw-gateway.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "am-gw-fault.h"
#include "am-gw-router.h"

#define GW_LOG_FLUSH_BYTES 16384
#define GW_LOG_FLUSH_MS 1000

/* One leaf endpoint's health on this node (synapse EndpointContext). */
typedef struct {
	gint64 suspended_until; /* monotonic usec; 0: active */
	gint64 next_suspend_ms; /* the next suspension's length; 0: initialDuration */
	int failures;		/* consecutive markForSuspension errors */
} GwEpState;

/* getAllURITemplates of one API, cached on one worker. */
typedef struct {
	GPtrArray *templates; /* AmUriTemplate */
	gint64 expires;	      /* monotonic usec */
} GwSchemes;

typedef struct {
	AmGateway *gw;
	AmGwWorker *w;
	struct _GwSnapHold *hold;	/* the snapshot this call routes on */
	AmGwMatch match;
	gboolean matched;
	const char *api_name;	/* qualified (the matched API's), for logs and counters */
	char id[64];		/* request id (access log, activityid header) */
	char *auth_scheme;	/* the resource's auth type */
	char *token;		/* wiped on free */
	AmGwResult *result;		/* the validation result, shared with the cache */
	const AmKeyValidationInfo *info;
	AmGwKeyType key_type;
	/* the endpoint leaves to try, in order, borrowed from the snapshot: in
	 * cand_inline until there are more */
	const AmGwEndpoint **candidates;
	guint n_candidates, cap_candidates;
	const AmGwEndpoint *cand_inline[4];
	guint next_candidate;
	const AmGwEndpoint *current;
	const AmGwEndpoint *route_endpoint;
	const char *upstream;	/* host:port of the last attempt (the endpoint's, or ...) */
	char *upstream_owned;	/* ... this copy, for a URL with variables */
	int last_code;		/* synapse error code of the last endpoint failure */
	guint upstream_errors;
	gboolean auth_failed;
} GwCall;

static GPrivate gw_worker_key = G_PRIVATE_INIT (NULL);

static void
gw_schemes_free (gpointer p)
{
	GwSchemes *s = p;

	g_ptr_array_unref (s->templates);
	g_free (s);
}

static void
gw_worker_flush (AmGwWorker *w)
{
	gsize off = 0;

	while (w->gw->access_fd >= 0 && off < w->log->len) {
		ssize_t n = write (w->gw->access_fd, w->log->str + off, w->log->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (gsize) n;
	}
	g_string_truncate (w->log, 0);
}

static gboolean
on_flush (gpointer data)
{
	gw_worker_flush (data);
	return G_SOURCE_CONTINUE;
}

/* A worker's reference to a snapshot, which its calls share: their
 * references are counted here, on a cache line only this worker writes. */
typedef struct _GwSnapHold {
	gint ref;
	AmGwSnapshot *snap;
} GwSnapHold;

static GwSnapHold *
gw_snap_hold_ref (GwSnapHold *h)
{
	g_atomic_int_inc (&h->ref);
	return h;
}

static void
gw_snap_hold_unref (GwSnapHold *h)
{
	if (h == NULL || !g_atomic_int_dec_and_test (&h->ref))
		return;
	am_gw_snapshot_unref (h->snap);
	g_free (h);
}

/* The deployed snapshot for a new call, taken again only after a swap. */
static GwSnapHold *
gw_worker_snapshot (AmGwWorker *w)
{
	gint generation = am_gw_deployment_generation (w->gw->deployment);

	if (w->hold == NULL || generation != w->hold_generation) {
		GwSnapHold *h = g_new0 (GwSnapHold, 1);

		h->ref = 1;
		h->snap = am_gw_deployment_snapshot (w->gw->deployment);
		gw_snap_hold_unref (w->hold);
		w->hold = h;
		w->hold_generation = generation;
	}
	return gw_snap_hold_ref (w->hold);
}

/* This thread's worker state, made on its first request. */
static AmGwWorker *
gw_worker (AmGateway *gw)
{
	AmGwWorker *w = g_private_get (&gw_worker_key);

	if (w != NULL && w->gw == gw)
		return w;
	w = g_new0 (AmGwWorker, 1);
	w->gw = gw;
	g_mutex_init (&w->lock);
	w->counters = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	w->rr = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
	w->schemes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, gw_schemes_free);
	w->log = g_string_sized_new (GW_LOG_FLUSH_BYTES + 1024);
	w->flush = g_timeout_source_new (GW_LOG_FLUSH_MS);
	g_source_set_callback (w->flush, on_flush, w, NULL);
	g_source_attach (w->flush, g_main_context_get_thread_default ());
	g_mutex_lock (&gw->workers_lock);
	w->index = gw->workers->len;
	g_ptr_array_add (gw->workers, w);
	g_mutex_unlock (&gw->workers_lock);
	g_private_set (&gw_worker_key, w);
	return w;
}

void
am_gw_worker_free (gpointer p)
{
	AmGwWorker *w = p;

	gw_worker_flush (w);
	g_source_destroy (w->flush);
	g_source_unref (w->flush);
	g_hash_table_unref (w->counters);
	g_hash_table_unref (w->rr);
	g_hash_table_unref (w->schemes);
	g_string_free (w->log, TRUE);
	g_mutex_clear (&w->lock);
	gw_snap_hold_unref (w->hold);
	g_free (w);
}

static void
gw_call_free (gpointer p)
{
	GwCall *call = p;

	am_gw_match_clear (&call->match);
	g_clear_pointer (&call->hold, gw_snap_hold_unref);
	g_free (call->auth_scheme);
	if (call->token != NULL)
		memset (call->token, 0, strlen (call->token));
	g_free (call->token);
	am_gw_result_unref (call->result);
	if (call->candidates != call->cand_inline)
		g_free (call->candidates);
	g_free (call->upstream_owned);
	g_free (call);
}

/* ---- responses ---- */

/* CORSRequestHandler's headers: the API's handler properties when it has
 * its own allowedOrigins, else CORSConfiguration when enabled.  FALSE when
 * CORS is off for this request.  As _cors_request_handler_ does, a
 * backend's own Allow-Origin/-Methods/-Headers are kept; Allow-Credentials
 * is always set when configured. */
static gboolean
gw_cors_headers (AmHttpRequest *req, GwCall *call)
{
	AmGateway *gw = call->gw;
	const AmGwHandler *h =
		call->matched ? am_gw_api_handler (call->match.api, ".CORSRequestHandler") : NULL;
	const char *origins = gw->cors_origins, *methods = gw->cors_methods;
	const char *headers = gw->cors_headers;
	gboolean credentials = gw->apim->cors_credentials;
	const char *origin = am_http_request_get_header (req, "Origin");

	if (h != NULL && am_gw_handler_property (h, "allowedOrigins") != NULL) {
		const char *v;

		origins = am_gw_handler_property (h, "allowedOrigins");
		if ((v = am_gw_handler_property (h, "allowedMethods")) != NULL)
			methods = v;
		if ((v = am_gw_handler_property (h, "allowHeaders")) != NULL)
			headers = v;
		if ((v = am_gw_handler_property (h, "allowCredentials")) != NULL)
			credentials = g_ascii_strcasecmp (v, "true") == 0;
	}
	if (origins == NULL)
		return FALSE;
	/* the first of the comma-separated origins that is "*" or @origin */
	for (const char *o = origins; o != NULL;) {
		const char *end = strchr (o, ',');
		const char *a = o, *b = end != NULL ? end : o + strlen (o);
		gsize n;

		while (a < b && g_ascii_isspace (*a))
			a++;
		while (b > a && g_ascii_isspace (b[-1]))
			b--;
		n = (gsize) (b - a);
		if ((n == 1 && *a == '*') ||
		    (origin != NULL && strlen (origin) == n && memcmp (a, origin, n) == 0)) {
			/* the request's own Origin, or "*" */
			am_http_request_default_response_header (req, "Access-Control-Allow-Origin",
								 n == 1 && *a == '*' ? "*" : origin);
			break;
		}
		o = end != NULL ? end + 1 : NULL;
	}
	if (methods != NULL)
		am_http_request_default_response_header (req, "Access-Control-Allow-Methods",
							 methods);
	if (headers != NULL)
		am_http_request_default_response_header (req, "Access-Control-Allow-Headers",
							 headers);
	if (credentials)
		am_http_request_set_response_header (req, "Access-Control-Allow-Credentials", "true");
	return TRUE;
}

static const char *gw_content_type (AmHttpRequest *req);

static void
gw_respond_fault (AmHttpRequest *req, GwCall *call, AmGwFault *fault)
{
	g_autoptr (AmGwFault) f = fault;

	am_gw_fault_for_request (f, am_http_request_get_method (req), gw_content_type (req));
	if (f->www_authenticate != NULL)
		am_http_request_set_response_header (req, "WWW-Authenticate", f->www_authenticate);
	gw_cors_headers (req, call);
	am_http_request_respond (req, f->status, f->content_type, f->body, strlen (f->body));
}

static void
gw_auth_fail (AmHttpRequest *req, GwCall *call, AmGwFault *fault)
{
	call->auth_failed = TRUE;
	gw_respond_fault (req, call, fault);
}

static const char *
gw_accept (AmHttpRequest *req)
{
	return am_http_request_get_header (req, "Accept");
}

static const char *
gw_content_type (AmHttpRequest *req)
{
	return am_http_request_get_header (req, "Content-Type");
}

/* The §6.4 payloadFactory answer to a key of the wrong type. */
static void
gw_respond_key_error (AmHttpRequest *req, GwCall *call, guint status, const char *message)
{
	g_autofree char *body = g_markup_printf_escaped ("<error><message>%s</message></error>",
							 message);

	call->auth_failed = TRUE;
	gw_cors_headers (req, call);
	am_http_request_respond (req, status, "application/xml", body, strlen (body));
}

/* ---- endpoints ---- */

static const char *
gw_ep_key (const AmGwEndpoint *ep)
{
	return ep->name != NULL ? ep->name : ep->uri != NULL ? ep->uri : "";
}

static void
gw_add_candidate (GwCall *call, const AmGwEndpoint *ep)
{
	if (call->n_candidates == call->cap_candidates) {
		guint cap = call->cap_candidates * 2;

		if (call->candidates == call->cand_inline)
			call->candidates = g_memdup2 (call->cand_inline, sizeof call->cand_inline);
		call->candidates = g_renew (const AmGwEndpoint *, call->candidates, cap);
		call->cap_candidates = cap;
	}
	call->candidates[call->n_candidates++] = ep;
}

static void
gw_add_leaves (GwCall *call, const AmGwEndpoint *ep)
{
	guint n, start;
	gpointer pos;

	ep = am_gw_endpoint_resolve (ep);
	if (ep == NULL)
		return;
	switch (ep->type) {
	case AM_GW_EP_HTTP:
	case AM_GW_EP_ADDRESS:
		gw_add_candidate (call, ep);
		break;
	case AM_GW_EP_FAILOVER:
		for (guint i = 0; i < ep->children->len; i++)
			gw_add_leaves (call, g_ptr_array_index (ep->children, i));
		break;
	case AM_GW_EP_LOADBALANCE:
		n = ep->children->len;
		if (n == 0)
			break;
		pos = g_hash_table_lookup (call->w->rr, gw_ep_key (ep));
		start = GPOINTER_TO_UINT (pos) % n;
		g_hash_table_replace (call->w->rr, g_strdup (gw_ep_key (ep)),
				      GUINT_TO_POINTER ((start + 1) % n));
		/* failover="false": the chosen member only */
		for (guint i = 0; i < (ep->lb_failover ? n : 1); i++)
			gw_add_leaves (call, g_ptr_array_index (ep->children, (start + i) % n));
		break;
	default:
		/* wsdl and default endpoints: not supported (no leaf) */
		break;
	}
}

static gboolean
gw_codes_contain (const GArray *codes, int code)
{
	for (guint i = 0; codes != NULL && i < codes->len; i++)
		if (g_array_index (codes, int, i) == code)
			return TRUE;
	return FALSE;
}

/* synapse's EndpointContext.onFault: an error listed by markForSuspension
 * counts toward retriesBeforeSuspension; any other error that
 * suspendOnFailure covers (an empty list covers all) suspends the endpoint
 * for initialDuration, growing by progressionFactor up to maximumDuration. */
static gboolean
gw_ep_troubled (const GwEpState *st)
{
	return st->failures > 0 || st->next_suspend_ms > 0;
}

static void
gw_ep_failed (AmGateway *gw, const AmGwEndpoint *ep, int code)
{
	g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&gw->ep_lock);
	GwEpState *st = g_hash_table_lookup (gw->endpoints, gw_ep_key (ep));
	gboolean was, suspend;
	gint64 ms;

	if (st == NULL) {
		st = g_new0 (GwEpState, 1);
		g_hash_table_insert (gw->endpoints, g_strdup (gw_ep_key (ep)), st);
	}
	was = gw_ep_troubled (st);
	if (gw_codes_contain (ep->mark_error_codes, code))
		suspend = ++st->failures > ep->mark_retries;
	else
		suspend = ep->suspend_error_codes == NULL || ep->suspend_error_codes->len == 0 ||
			  gw_codes_contain (ep->suspend_error_codes, code);
	ms = st->next_suspend_ms > 0 ? st->next_suspend_ms : ep->suspend_initial_ms;
	if (suspend && ms > 0) {
		st->suspended_until = g_get_monotonic_time () + ms * 1000;
		st->next_suspend_ms = (gint64) MIN ((double) ms * MAX (ep->suspend_progression, 1.0),
						    (double) ep->suspend_maximum_ms);
		st->failures = 0;
		g_message ("endpoint %s suspended for %" G_GINT64_FORMAT " ms after error %d",
			   gw_ep_key (ep), ms, code);
	}
	if (!was && gw_ep_troubled (st))
		g_atomic_int_inc (&gw->ep_troubled);
	else if (was && !gw_ep_troubled (st))
		g_atomic_int_add (&gw->ep_troubled, -1);
}

static void
gw_ep_ok (AmGateway *gw, const AmGwEndpoint *ep)
{
	GwEpState *st;

	if (g_atomic_int_get (&gw->ep_troubled) == 0)
		return;
	g_mutex_lock (&gw->ep_lock);
	st = g_hash_table_lookup (gw->endpoints, gw_ep_key (ep));
	if (st != NULL && gw_ep_troubled (st)) {
		if (st->next_suspend_ms > 0)
			g_message ("endpoint %s is active again", gw_ep_key (ep));
		st->failures = 0;
		st->next_suspend_ms = 0;
		st->suspended_until = 0;
		g_atomic_int_add (&gw->ep_troubled, -1);
	}
	g_mutex_unlock (&gw->ep_lock);
}

static gboolean
gw_ep_suspended (AmGateway *gw, const AmGwEndpoint *ep, gint64 now)
{
	GwEpState *st;
	gboolean suspended;

	if (g_atomic_int_get (&gw->ep_troubled) == 0)
		return FALSE;
	g_mutex_lock (&gw->ep_lock);
	st = g_hash_table_lookup (gw->endpoints, gw_ep_key (ep));
	suspended = st != NULL && st->suspended_until > now;
	g_mutex_unlock (&gw->ep_lock);
	return suspended;
}

/* @uri with {uri.var.name} replaced by the request's (encoded) values;
 * *@had_vars says whether the template had any.  uri.var.hostname and
 * uri.var.portnum, when the request has no such variables, are the Key
 * Manager's host and port: WSO2's shipped _TokenAPI_ & co. set them with
 * property mediators from SynapsePropertiesHandler's keyManager.hostname
 * and keyManager.port (APIKeyValidator/ServerURL). */
static char *
gw_expand_uri (AmGateway *gw, const char *uri, const AmGwMatch *match, gboolean *had_vars)
{
	GString *out = g_string_sized_new (strlen (uri) + 32);
	const char *p = uri;

	*had_vars = FALSE;
	while (*p != '\0') {
		const char *close;

		if (*p != '{' || (close = strchr (p, '}')) == NULL) {
			g_string_append_c (out, *p++);
			continue;
		}
		{
			g_autofree char *name = g_strndup (p + 1, close - p - 1);
			const char *var = g_str_has_prefix (name, "uri.var.") ? name + 8 : name;
			const char *value = am_gw_match_var (match, var);

			if (value == NULL && strcmp (name, "uri.var.hostname") == 0)
				value = gw->km_hostname;
			else if (value == NULL && strcmp (name, "uri.var.portnum") == 0)
				value = gw->km_port;
			*had_vars = TRUE;
			if (value != NULL)
				g_string_append_uri_escaped (out, value, NULL, FALSE);
		}
		p = close + 1;
	}
	return g_string_free (out, FALSE);
}

/* Forward to @ep; FALSE when its URL cannot be used. */
/* An endpoint URL split once: tls, host, port, path, query, and the Host
 * header and host:port strings the pipeline needs per request. */
typedef struct {
	gboolean tls;
	char *host;
	guint16 port;	   /* effective */
	char *path;	   /* as written, may be "" */
	char *query;	   /* or NULL */
	char *host_header; /* host[:port as written] */
	char *hostport;	   /* host:effective port */
} GwTarget;

static void
gw_target_free (gpointer p)
{
	GwTarget *t = p;

	if (t == NULL)
		return;
	g_free (t->host);
	g_free (t->path);
	g_free (t->query);
	g_free (t->host_header);
	g_free (t->hostport);
	g_free (t);
}

static void
gw_target_unref (GwTarget *t)
{
	gw_target_free (t);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GwTarget, gw_target_unref)

static GwTarget *
gw_target_new (const char *url)
{
	g_autoptr (GUri) u = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
	const char *scheme = u != NULL ? g_uri_get_scheme (u) : NULL;
	GwTarget *t;
	int port;

	if (u == NULL || g_uri_get_host (u) == NULL ||
	    (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0))
		return NULL;
	t = g_new0 (GwTarget, 1);
	t->tls = strcmp (scheme, "https") == 0;
	port = g_uri_get_port (u);
	t->port = port > 0 ? (guint16) port : t->tls ? 443 : 80;
	t->host = g_strdup (g_uri_get_host (u));
	t->path = g_strdup (g_uri_get_path (u));
	t->query = g_strdup (g_uri_get_query (u));
	t->host_header = port > 0 ? g_strdup_printf ("%s:%d", t->host, port) : g_strdup (t->host);
	t->hostport = g_strdup_printf ("%s:%u", t->host, t->port);
	return t;
}

/* The endpoint's own target when its URL has no {variables} (kept on the
 * shared endpoint: the first request to need it sets it). */
static const GwTarget *
gw_endpoint_target (const AmGwEndpoint *ep)
{
	AmGwEndpoint *mut = (AmGwEndpoint *) ep;
	GwTarget *t = g_atomic_pointer_get (&mut->compiled);

	if (t != NULL || ep->uri == NULL || strchr (ep->uri, '{') != NULL)
		return t;
	t = gw_target_new (ep->uri);
	if (t == NULL)
		return NULL;
	if (!g_atomic_pointer_compare_and_exchange (&mut->compiled, NULL, t)) {
		gw_target_free (t);
		return g_atomic_pointer_get (&mut->compiled);
	}
	/* read only when the endpoint is freed, after every request is done */
	mut->compiled_free = gw_target_free;
	return t;
}

static gboolean
gw_proxy_to (AmHttpRequest *req, GwCall *call, const AmGwEndpoint *ep)
{
	g_autoptr (GwTarget) owned = NULL;
	const GwTarget *t = gw_endpoint_target (ep);
	g_autofree char *target = NULL;
	gboolean had_vars = FALSE;
	AmHttpUpstream up = { 0 };

	if (t == NULL) {
		g_autofree char *url = gw_expand_uri (call->w->gw, ep->uri != NULL ? ep->uri : "",
						      &call->match, &had_vars);

		t = owned = gw_target_new (url);
	}
	if (t == NULL) {
		g_warning ("%s: endpoint %s: unusable URL", call->api_name, gw_ep_key (ep));
		return FALSE;
	}
	up.tls = t->tls;
	up.port = t->port;
	up.host = t->host;
	if (had_vars) {
		target = g_strconcat (*t->path ? t->path : "/", t->query != NULL ? "?" : "", t->query,
				      NULL);
	} else {
		gsize len = strlen (t->path);
		const char *sub = call->match.sub_path;

		/* synapse appends REST_URL_POSTFIX to the address */
		if (len > 0 && t->path[len - 1] == '/')
			len--;
		if (strcmp (sub, "/") == 0 && len > 0)
			sub = "";
		if (len == 0 && *sub == '\0') {
			target = g_strdup ("/");
		} else {
			gsize n = strlen (sub);

			target = g_malloc (len + n + 1);
			memcpy (target, t->path, len);
			memcpy (target + len, sub, n + 1);
		}
	}
	up.target = target;
	if (ep->timeout_ms > 0)
		up.read_timeout_ms = (guint) MIN (ep->timeout_ms, G_MAXUINT);
	am_http_request_set_header (req, "Host", t->host_header);
	call->current = ep;
	g_clear_pointer (&call->upstream_owned, g_free);
	/* a cached target lives as long as the endpoint, which the call's
	 * snapshot keeps */
	call->upstream = owned != NULL ? (call->upstream_owned = g_strdup (t->hostport))
				       : t->hostport;
	return am_http_request_proxy (req, &up);
}

/* Try the remaining candidates; answer with a fault when none is left. */
static void
gw_send_next (AmHttpRequest *req, GwCall *call)
{
	gint64 now = g_get_monotonic_time ();
	const AmGwEndpoint *suspended = NULL;
	const char *method = am_http_request_get_method (req);

	while (call->next_candidate < call->n_candidates) {
		const AmGwEndpoint *ep = call->candidates[call->next_candidate++];

		if (gw_ep_suspended (call->gw, ep, now)) {
			if (suspended == NULL)
				suspended = ep;
			continue;
		}
		if (gw_proxy_to (req, call, ep))
			return;
	}
	if (call->last_code != 0)
		gw_respond_fault (req, call,
				  am_gw_fault_endpoint (call->last_code, method, gw_content_type (req)));
	else if (suspended != NULL)
		gw_respond_fault (req, call,
				  am_gw_fault_endpoint_suspended (gw_ep_key (suspended), method,
								  gw_content_type (req)));
	else
		gw_respond_fault (req, call,
				  am_gw_fault_runtime (101503, 500, "No usable endpoint for the API",
						       method, gw_content_type (req)));
}

/* ---- forward ---- */

/* ThrottleHandler's hard throttling: at most productionMaxCount (or
 * sandboxMaxCount) requests a second reach the API's backend through this
 * node, counted in one-second windows. */
typedef struct {
	gint64 second;
	gint64 count;
} GwHardWindow;

static gboolean
gw_hard_limited (GwCall *call)
{
	const AmGwApi *api = call->match.api;
	const AmGwHandler *h = am_gw_api_handler (api, ".ThrottleHandler");
	gboolean sandbox = call->key_type == AM_GW_KEY_SANDBOX;
	g_autofree char *key = NULL;
	GwHardWindow *win;
	gint64 max, now;
	const char *v;
	gboolean over;

	if (h == NULL)
		h = am_gw_api_handler (api, ".APIThrottleHandler");
	v = h != NULL ? am_gw_handler_property (h, sandbox ? "sandboxMaxCount"
							   : "productionMaxCount")
		      : NULL;
	if (v == NULL || !g_ascii_string_to_signed (v, 10, 1, G_MAXINT64, &max, NULL))
		return FALSE;
	key = g_strconcat (call->api_name, sandbox ? "\nSANDBOX" : "\nPRODUCTION", NULL);
	now = g_get_monotonic_time () / G_USEC_PER_SEC;
	g_mutex_lock (&call->gw->hard_lock);
	win = g_hash_table_lookup (call->gw->hard_windows, key);
	if (win == NULL) {
		win = g_new0 (GwHardWindow, 1);
		g_hash_table_insert (call->gw->hard_windows, g_steal_pointer (&key), win);
	}
	if (win->second != now) {
		win->second = now;
		win->count = 0;
	}
	over = ++win->count > max;
	g_mutex_unlock (&call->gw->hard_lock);
	return over;
}

static void
gw_forward (AmHttpRequest *req, GwCall *call)
{
	AmGateway *gw = call->gw;
	const AmGwRoute *route = am_gw_resource_route (call->match.resource, call->key_type);
	const char *method = am_http_request_get_method (req);

	/* the handlers (ThrottleHandler) before the in-sequence */
	if (gw_hard_limited (call)) {
		gw_respond_fault (req, call, am_gw_fault_hard_limit (gw_accept (req)));
		return;
	}
	if (route->error_message != NULL) {
		gw_respond_key_error (req, call, route->error_status > 0 ? (guint) route->error_status : 401,
				      route->error_message);
		return;
	}
	if (route->endpoint == NULL) {
		gboolean sandbox = call->key_type == AM_GW_KEY_SANDBOX;

		/* _sandbox_key_error_ / _production_key_error_, or no filter branch */
		call->auth_failed = TRUE;
		gw_respond_fault (req, call,
				  am_gw_fault_runtime (900901, 403,
						       sandbox ? "Sandbox key offered to the API with no sandbox endpoint"
							       : "Production key offered to the API with no production endpoint",
						       method, gw_content_type (req)));
		return;
	}
	call->route_endpoint = route->endpoint;
	if (call->candidates != call->cand_inline)
		g_free (call->candidates);
	call->candidates = call->cand_inline;
	call->n_candidates = 0;
	call->cap_candidates = G_N_ELEMENTS (call->cand_inline);
	gw_add_leaves (call, route->endpoint);

	am_http_request_add_forwarded_headers (req);
	if (call->info != NULL && call->info->end_user_token != NULL && gw->apim->jwt_header != NULL)
		am_http_request_set_header (req, gw->apim->jwt_header, call->info->end_user_token);
	if (call->token != NULL && gw->apim->remove_oauth_headers)
		am_http_request_remove_header (req, gw->auth_header);
	am_http_request_remove_header (req, "WSO2_AM_API_DEFAULT_VERSION");
	am_http_request_set_header (req, "activityid", call->id);
	gw_cors_headers (req, call);
	gw_send_next (req, call);
}

/* ---- authentication ---- */

/* OAuthAuthenticator's parsing (§8.1): the first non-empty segment after a
 * "Bearer" segment of a comma-separated part, quotes stripped. */
char *
am_gw_bearer_token (const char *value)
{
	if (value == NULL)
		return NULL;
	if (g_str_has_prefix (value, "OAuth ") || g_str_has_prefix (value, "oauth "))
		value += 6;
	/* comma-separated parts of space-separated words, each word trimmed
	 * of white space; the word after "Bearer" in a part is the token */
	for (const char *part = value; part != NULL;) {
		const char *part_end = strchr (part, ',');
		const char *stop = part_end != NULL ? part_end : part + strlen (part);
		gboolean after = FALSE;

		for (const char *w = part; w < stop;) {
			const char *w_end = memchr (w, ' ', (gsize) (stop - w));
			const char *next = w_end != NULL ? w_end + 1 : stop;
			const char *a = w, *b = w_end != NULL ? w_end : stop;

			while (a < b && g_ascii_isspace (*a))
				a++;
			while (b > a && g_ascii_isspace (b[-1]))
				b--;
			w = next;
			if (a == b)
				continue;
			if (!after) {
				after = b - a == 6 && memcmp (a, "Bearer", 6) == 0;
				continue;
			}
			if (b - a >= 2 && a[0] == '"' && b[-1] == '"')
				return g_strndup (a + 1, (gsize) (b - a - 2));
			return g_strndup (a, (gsize) (b - a));
		}
		part = part_end != NULL ? part_end + 1 : NULL;
	}
	return NULL;
}

static const char *
gw_resource_template (const AmGwResource *res)
{
	if (res->uri_template != NULL)
		return res->uri_template;
	return res->url_mapping != NULL ? res->url_mapping : "/*";
}

static void
gw_key_request (AmHttpRequest *req, GwCall *call, AmKeyValidationRequest *kr)
{
	const AmGwApi *api = call->match.api;

	kr->context = api->context;
	kr->version = api->version != NULL ? api->version : "";
	kr->access_token = call->token;
	kr->required_auth_level = call->auth_scheme;
	kr->client_domain = am_http_request_get_header (req, "Referer");
	kr->matching_resource = gw_resource_template (call->match.resource);
	kr->http_verb = am_http_request_get_method (req);
}

/* The Key Manager's answer (or the cache's) is in: refusal, environment
 * rule, then forward.  Takes @info. */
static void
gw_auth_done (AmHttpRequest *req, GwCall *call, AmGwResult *result)
{
	const AmGwApi *api = call->match.api;
	const AmKeyValidationInfo *info = am_gw_result_info (result);
	int env = call->gw->env_type;

	call->result = result;
	call->info = info;
	if (!info->authorized) {
		gw_auth_fail (req, call,
			      am_gw_fault_auth_refused (info->validation_status != 0 ? info->validation_status
										     : 900901,
							api->context, api->version, gw_accept (req)));
		return;
	}
	call->key_type = g_strcmp0 (info->type, "SANDBOX") == 0 ? AM_GW_KEY_SANDBOX
								 : AM_GW_KEY_PRODUCTION;
	if (env == AM_ENV_PRODUCTION && call->key_type == AM_GW_KEY_SANDBOX) {
		gw_respond_key_error (req, call, 401, "Sandbox Key Provided for Production Gateway");
		return;
	}
	if (env == AM_ENV_SANDBOX && call->key_type == AM_GW_KEY_PRODUCTION) {
		gw_respond_key_error (req, call, 401, "Production Key Provided for Sandbox Gateway");
		return;
	}
	gw_forward (req, call);
}


/* A Key Manager that is down fails every request: warn at most every
 * GW_KM_WARN_INTERVAL_S per worker, with how many failures were not shown. */
#define GW_KM_WARN_INTERVAL_S 10

static void
gw_warn_km (GwCall *call, const char *what, const GError *error)
{
	AmGwWorker *w = call->w;
	gint64 now = g_get_monotonic_time ();

	if (w->km_warned_at != 0 && now - w->km_warned_at < GW_KM_WARN_INTERVAL_S * G_USEC_PER_SEC) {
		w->km_failures++;
		return;
	}
	g_warning ("%s: %s for %s failed: %s (%u more failure(s) since the last warning)", call->id,
		   what, call->api_name, error->message, w->km_failures);
	w->km_warned_at = now;
	w->km_failures = 0;
}

static void
on_validated (AmKeyValidationInfo *info, const GError *error, gpointer user_data)
{
	g_autoptr (AmHttpRequest) req = user_data;
	GwCall *call = am_http_request_get_data (req);
	AmKeyValidationRequest kr;
	AmGwResult *result;

	if (error != NULL) {
		gw_warn_km (call, "key validation", error);
		gw_auth_fail (req, call, am_gw_fault_auth_unavailable (gw_accept (req)));
		return;
	}
	result = am_gw_result_new (info);
	gw_key_request (req, call, &kr);
	am_gw_cache_store_shared (call->gw->cache, &kr, result);
	gw_auth_done (req, call, result);
}

/* The resource's auth scheme is known: check the token. */
static void
gw_auth_token (AmHttpRequest *req, GwCall *call, GPtrArray *templates)
{
	const char *tmpl = gw_resource_template (call->match.resource);
	const char *method = am_http_request_get_method (req);
	const AmUriTemplate *t = NULL;
	AmKeyValidationRequest kr;
	AmGwResult *result;

	for (guint i = 0; i < templates->len && t == NULL; i++) {
		const AmUriTemplate *x = g_ptr_array_index (templates, i);

		if (g_strcmp0 (x->uri_template, tmpl) == 0 && g_strcmp0 (x->http_verb, method) == 0)
			t = x;
	}
	if (t == NULL) {
		/* APIKeyValidator: no template for this verb and pattern */
		gw_auth_fail (req, call,
			      am_gw_fault_auth_refused (900906, call->match.api->context,
							call->match.api->version, gw_accept (req)));
		return;
	}
	if (g_strcmp0 (t->auth_type, "None") == 0) {
		call->key_type = AM_GW_KEY_PRODUCTION;
		gw_forward (req, call);
		return;
	}
	call->auth_scheme = g_strdup (t->auth_type != NULL ? t->auth_type : "Any");
	call->token = am_gw_bearer_token (am_http_request_get_header (req, call->gw->auth_header));
	if (call->token == NULL) {
		gw_auth_fail (req, call, am_gw_fault_auth_missing (gw_accept (req)));
		return;
	}
	gw_key_request (req, call, &kr);
	result = am_gw_cache_lookup_shared (call->gw->cache, &kr);
	if (result != NULL) {
		gw_auth_done (req, call, result);
		return;
	}
	am_http_request_suspend (req);
	am_gw_keyclient_validate_async (call->gw->keyclient, &kr, am_http_request_get_context (req),
					on_validated, am_http_request_ref (req));
}

static void
on_schemes (GPtrArray *templates, const GError *error, gpointer user_data)
{
	g_autoptr (AmHttpRequest) req = user_data;
	GwCall *call = am_http_request_get_data (req);
	GwSchemes *s;

	if (error != NULL) {
		gw_warn_km (call, "the resources from the Key Manager", error);
		gw_auth_fail (req, call, am_gw_fault_auth_unavailable (gw_accept (req)));
		return;
	}
	s = g_new0 (GwSchemes, 1);
	s->templates = templates;
	s->expires = g_get_monotonic_time () + (gint64) call->gw->resource_cache_s * G_USEC_PER_SEC;
	g_hash_table_replace (call->w->schemes, g_strdup (call->match.api->qname), s);
	gw_auth_token (req, call, s->templates);
}

static void
gw_authenticate (AmHttpRequest *req, GwCall *call)
{
	const AmGwApi *api = call->match.api;
	GwSchemes *s;

	if (am_gw_api_handler (api, ".APIAuthenticationHandler") == NULL) {
		call->key_type = AM_GW_KEY_PRODUCTION;
		gw_forward (req, call);
		return;
	}
	s = g_hash_table_lookup (call->w->schemes, api->qname);
	if (s != NULL && s->expires > g_get_monotonic_time ()) {
		gw_auth_token (req, call, s->templates);
		return;
	}
	am_http_request_suspend (req);
	am_gw_keyclient_get_uri_templates_async (call->gw->keyclient, api->context,
						 api->version != NULL ? api->version : "",
						 am_http_request_get_context (req), on_schemes,
						 am_http_request_ref (req));
}

/* ---- routing ---- */

/* "<prefix>-<worker>-<counter>" (what printf would write, without its
 * cost on every request) into GwCall.id, which holds the longest one. */
G_STATIC_ASSERT (sizeof ((GwCall *) 0)->id >=
		 sizeof ((AmGateway *) 0)->id_prefix + 1 + 10 + 1 + 20);

static void
gw_request_id (char *buf, const char *prefix, guint worker, guint64 counter)
{
	gsize plen = strlen (prefix);
	char *p = buf;

	memcpy (p, prefix, plen);
	p += plen;
	*p++ = '-';
	p += am_http_format_uint (p, worker);
	*p++ = '-';
	p += am_http_format_uint (p, counter);
	*p = '\0';
}

static AmGwMatchStatus
gw_match (GwCall *call, const char *method, const char *target)
{
	AmGwMatchStatus st;

	am_gw_match_clear (&call->match);
	call->api_name = NULL;
	st = am_gw_router_match (am_gw_snapshot_router (call->hold->snap), method, target, &call->match);
	call->matched = st != AM_GW_MATCH_NO_API;
	if (call->matched)
		call->api_name = call->match.api->qname;
	return st;
}

void
am_gw_pipeline_handle (AmHttpRequest *req, gpointer data)
{
	AmGateway *gw = data;
	GwCall *call = g_new0 (GwCall, 1);
	const char *method = am_http_request_get_method (req);
	const char *ct = gw_content_type (req);
	AmGwMatchStatus st;

	call->gw = gw;
	call->w = gw_worker (gw);
	gw_request_id (call->id, gw->id_prefix, call->w->index, ++call->w->next_id);
	am_http_request_set_data (req, call, gw_call_free);
	call->hold = gw_worker_snapshot (call->w);

	st = gw_match (call, method, am_http_request_get_target (req));
	if (st == AM_GW_MATCH_OK && call->match.api->default_version &&
	    call->match.api->default_target != NULL) {
		/* default_api_template.xml: the same call on the versioned API */
		g_autofree char *t = g_strconcat (call->match.api->default_target,
						  call->match.sub_path, NULL);

		st = gw_match (call, method, t);
	}
	if (st == AM_GW_MATCH_NO_API) {
		gw_respond_fault (req, call, am_gw_fault_no_api ());
		return;
	}
	if (!(am_http_request_is_tls (req) ? call->match.api->over_https
					   : call->match.api->over_http)) {
		/* TRANSPORT_DENIED: no API takes it; `main` answers */
		const char *target = am_http_request_get_target (req);

		gw_respond_fault (req, call,
				  am_gw_fault_transport_denied (
					  am_http_request_is_tls (req) ? "https" : "http",
					  target[0] == '/' ? target + 1 : target));
		return;
	}
	if (g_strcmp0 (method, "OPTIONS") == 0 && st != AM_GW_MATCH_NO_RESOURCE &&
	    (st != AM_GW_MATCH_OK || call->match.resource->methods != NULL) &&
	    !(st == AM_GW_MATCH_OK && am_gw_resource_allows (call->match.resource, "OPTIONS")) &&
	    gw_cors_headers (req, call)) {
		am_http_request_respond (req, 200, NULL, NULL, 0);
		return;
	}
	if (st == AM_GW_MATCH_NO_RESOURCE) {
		gw_respond_fault (req, call, am_gw_fault_resource_not_found (method, ct));
		return;
	}
	if (st == AM_GW_MATCH_METHOD_NOT_ALLOWED) {
		gw_respond_fault (req, call, am_gw_fault_method_not_allowed (method, ct));
		return;
	}
	gw_authenticate (req, call);
}

/* ---- upstream failures ---- */

/* synapse's error codes (SynapseConstants / NhttpConstants) */
static int
gw_failure_code (AmHttpFailure failure)
{
	switch (failure) {
	case AM_HTTP_FAIL_CONNECT_TIMEOUT:
	case AM_HTTP_FAIL_READ_TIMEOUT:
		return 101504;
	case AM_HTTP_FAIL_RESET:
		return 101505;
	case AM_HTTP_FAIL_PROTOCOL:
		return 101506;
	default:
		return 101503;
	}
}

void
am_gw_pipeline_upstream_error (AmHttpRequest *req, AmHttpFailure failure, gpointer data)
{
	GwCall *call = am_http_request_get_data (req);
	gboolean connect_failed;

	if (call == NULL || call->current == NULL)
		return;
	call->last_code = gw_failure_code (failure);
	call->upstream_errors++;
	g_warning ("%s: %s: endpoint %s (%s): %s", call->id, call->api_name,
		   gw_ep_key (call->current), call->upstream, am_http_failure_to_string (failure));
	gw_ep_failed (call->gw, call->current, call->last_code);
	connect_failed = failure == AM_HTTP_FAIL_CONNECT_REFUSED ||
			 failure == AM_HTTP_FAIL_CONNECT_TIMEOUT || failure == AM_HTTP_FAIL_RESOLVE ||
			 failure == AM_HTTP_FAIL_TLS;
	/* only a request the backend never saw goes to the next endpoint */
	if (!connect_failed || !am_http_request_can_retry (req))
		call->next_candidate = call->n_candidates;
	gw_send_next (req, call);
}

/* ---- access log and counters ---- */

/* Append @n bytes: a copy when there is room (the buffer is sized past
 * the flush threshold), GString's growth otherwise. */
static inline void
gw_log_put (GString *s, const char *v, gsize n)
{
	if (s->len + n < s->allocated_len) {
		memcpy (s->str + s->len, v, n);
		s->len += n;
		s->str[s->len] = '\0';
	} else {
		g_string_append_len (s, v, (gssize) n);
	}
}

static inline void
gw_log_str (GString *s, const char *v)
{
	gw_log_put (s, v, strlen (v));
}

#define gw_log_lit(s, lit) gw_log_put ((s), (lit), sizeof (lit) - 1)

/* The end of the run of bytes from @p that @bad does not pick (such runs
 * are copied whole). */
static const char *
gw_log_safe_run (const char *p, gboolean (*bad) (guchar))
{
	while (*p != '\0' && !bad ((guchar) *p))
		p++;
	return p;
}

static gboolean
gw_log_quote_bad (guchar c)
{
	return c == '"' || c == '\\' || c < 0x20 || c == 0x7f;
}

static gboolean
gw_log_target_bad (guchar c)
{
	return c <= 0x20 || c == '"';
}

static void
gw_log_quoted (GString *s, const char *v)
{
	const char *p = v != NULL ? v : "-";

	g_string_append_c (s, '"');
	for (;;) {
		const char *end = gw_log_safe_run (p, gw_log_quote_bad);

		gw_log_put (s, p, (gsize) (end - p));
		if (*end == '\0')
			break;
		g_string_append_printf (s, "\\x%02X", (guchar) *end);
		p = end + 1;
	}
	g_string_append_c (s, '"');
}

/* the request target with blanks, controls and quotes as '_' */
static void
gw_log_target (GString *s, const char *p)
{
	for (;;) {
		const char *end = gw_log_safe_run (p, gw_log_target_bad);

		gw_log_put (s, p, (gsize) (end - p));
		if (*end == '\0')
			break;
		g_string_append_c (s, '_');
		p = end + 1;
	}
}

static void
gw_count (AmGwWorker *w, GwCall *call, const AmHttpStats *stats)
{
	const char *api = call != NULL && call->api_name != NULL ? call->api_name : "-";
	AmGwCounters *c;

	g_mutex_lock (&w->lock);
	c = g_hash_table_lookup (w->counters, api);
	if (c == NULL) {
		c = g_new0 (AmGwCounters, 1);
		g_hash_table_insert (w->counters, g_strdup (api), c);
	}
	c->requests[MIN (stats->status / 100, 5)]++;
	c->response_bytes += stats->response_bytes;
	c->total_us += (guint64) MAX (stats->total_us, 0);
	if (stats->upstream_latency_us >= 0) {
		c->proxied++;
		c->upstream_us += (guint64) stats->upstream_latency_us;
	}
	if (call != NULL) {
		c->upstream_errors += call->upstream_errors;
		c->auth_failures += call->auth_failed ? 1 : 0;
	}
	g_mutex_unlock (&w->lock);
}

/* Combined log format, then the request id, API, application, upstream
 * and latencies in milliseconds. */
static void
gw_log_uint (GString *s, guint64 v)
{
	char buf[24];
	guint i = sizeof buf;

	do {
		buf[--i] = (char) ('0' + v % 10);
		v /= 10;
	} while (v != 0);
	gw_log_put (s, buf + i, sizeof buf - i);
}

/* microseconds as milliseconds with three decimals, without printf */
static void
gw_log_ms (GString *s, gint64 us)
{
	const char frac[] = { '.', (char) ('0' + us / 100 % 10), (char) ('0' + us / 10 % 10),
			      (char) ('0' + us % 10) };

	gw_log_uint (s, (guint64) (us / 1000));
	gw_log_put (s, frac, sizeof frac);
}

static void
gw_log (AmGwWorker *w, AmHttpRequest *req, GwCall *call, const AmHttpStats *stats)
{
	GString *s = w->log;
	const AmKeyValidationInfo *info = call != NULL ? call->info : NULL;
	gint64 second = g_get_real_time () / G_USEC_PER_SEC;

	if (w->gw->access_fd < 0)
		return;
	/* formatted once a second: local time costs a stat of /etc/localtime */
	if (second != w->log_second) {
		g_autoptr (GDateTime) now = g_date_time_new_from_unix_local (second);
		g_autofree char *when = g_date_time_format (now, "%d/%b/%Y:%H:%M:%S %z");

		g_strlcpy (w->log_time, when, sizeof w->log_time);
		w->log_second = second;
	}
	gw_log_str (s, am_http_request_get_client_address (req));
	gw_log_lit (s, " - ");
	gw_log_str (s, info != NULL && info->end_user_name != NULL ? info->end_user_name : "-");
	gw_log_lit (s, " [");
	gw_log_str (s, w->log_time);
	gw_log_lit (s, "] \"");
	gw_log_str (s, am_http_request_get_method (req));
	g_string_append_c (s, ' ');
	gw_log_target (s, am_http_request_get_target (req));
	if (am_http_request_get_minor_version (req) == 0)
		gw_log_lit (s, " HTTP/1.0\" ");
	else
		gw_log_lit (s, " HTTP/1.1\" ");
	gw_log_uint (s, stats->status);
	g_string_append_c (s, ' ');
	gw_log_uint (s, stats->response_bytes);
	g_string_append_c (s, ' ');
	gw_log_quoted (s, am_http_request_get_header (req, "Referer"));
	g_string_append_c (s, ' ');
	gw_log_quoted (s, am_http_request_get_header (req, "User-Agent"));
	gw_log_lit (s, " rid=");
	gw_log_str (s, call != NULL ? call->id : "-");
	gw_log_lit (s, " api=");
	gw_log_quoted (s, call != NULL ? call->api_name : NULL);
	gw_log_lit (s, " app=");
	gw_log_quoted (s, info != NULL ? info->application_name : NULL);
	gw_log_lit (s, " upstream=");
	gw_log_str (s, call != NULL && call->upstream ? call->upstream : "-");
	gw_log_lit (s, " upstream_ms=");
	if (stats->upstream_latency_us >= 0)
		gw_log_ms (s, stats->upstream_latency_us);
	else
		g_string_append_c (s, '-');
	gw_log_lit (s, " total_ms=");
	gw_log_ms (s, MAX (stats->total_us, 0));
	if (stats->error != AM_HTTP_FAIL_NONE)
		g_string_append_printf (s, " error=%s", am_http_failure_to_string (stats->error));
	g_string_append_c (s, '\n');
	if (s->len >= GW_LOG_FLUSH_BYTES)
		gw_worker_flush (w);
}

void
am_gw_pipeline_done (AmHttpRequest *req, const AmHttpStats *stats, gpointer data)
{
	AmGateway *gw = data;
	GwCall *call = am_http_request_get_data (req);
	AmGwWorker *w = call != NULL ? call->w : gw_worker (gw);

	if (call != NULL && call->current != NULL && stats->error == AM_HTTP_FAIL_NONE &&
	    stats->upstream_latency_us >= 0)
		gw_ep_ok (call->gw, call->current);
	gw_count (w, call, stats);
	gw_log (w, req, call, stats);
}

/* ---- /metrics ---- */

static void
gw_counters_add (AmGwCounters *sum, const AmGwCounters *c)
{
	for (guint i = 0; i < G_N_ELEMENTS (sum->requests); i++)
		sum->requests[i] += c->requests[i];
	sum->response_bytes += c->response_bytes;
	sum->total_us += c->total_us;
	sum->upstream_us += c->upstream_us;
	sum->proxied += c->proxied;
	sum->upstream_errors += c->upstream_errors;
	sum->auth_failures += c->auth_failures;
}

static void
gw_metric_label (GString *s, const char *api)
{
	g_string_append (s, "{api=\"");
	for (const char *p = api; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_c (s, '\\');
		if (*p == '\n')
			g_string_append (s, "\\n");
		else
			g_string_append_c (s, *p);
	}
	g_string_append_c (s, '"');
}

char *
am_gw_metrics_text (AmGateway *gw)
{
	g_autoptr (GHashTable) sums = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr (GList) names = NULL;
	GString *s = g_string_new (NULL);
	static const char *const classes[] = { "none", "1xx", "2xx", "3xx", "4xx", "5xx" };

	g_mutex_lock (&gw->workers_lock);
	for (guint i = 0; i < gw->workers->len; i++) {
		AmGwWorker *w = g_ptr_array_index (gw->workers, i);
		GHashTableIter it;
		gpointer k, v;

		g_mutex_lock (&w->lock);
		g_hash_table_iter_init (&it, w->counters);
		while (g_hash_table_iter_next (&it, &k, &v)) {
			AmGwCounters *sum = g_hash_table_lookup (sums, k);

			if (sum == NULL) {
				sum = g_new0 (AmGwCounters, 1);
				g_hash_table_insert (sums, g_strdup (k), sum);
			}
			gw_counters_add (sum, v);
		}
		g_mutex_unlock (&w->lock);
	}
	g_mutex_unlock (&gw->workers_lock);

	names = g_list_sort (g_hash_table_get_keys (sums), (GCompareFunc) strcmp);
#define GW_METRIC(name, type, help, field, scale)                                               \
	g_string_append (s, "# HELP " name " " help "\n# TYPE " name " " type "\n");              \
	for (GList *l = names; l != NULL; l = l->next) {                                         \
		const AmGwCounters *c = g_hash_table_lookup (sums, l->data);                       \
		g_string_append (s, name);                                                         \
		gw_metric_label (s, l->data);                                                      \
		g_string_append_printf (s, "} %.6f\n", (double) c->field / (scale));                \
	}
	g_string_append (s, "# HELP apimd_gateway_requests_total Requests answered, by API and status class.\n"
			    "# TYPE apimd_gateway_requests_total counter\n");
	for (GList *l = names; l != NULL; l = l->next) {
		const AmGwCounters *c = g_hash_table_lookup (sums, l->data);

		for (guint i = 0; i < G_N_ELEMENTS (classes); i++) {
			if (c->requests[i] == 0)
				continue;
			g_string_append (s, "apimd_gateway_requests_total");
			gw_metric_label (s, l->data);
			g_string_append_printf (s, ",code=\"%s\"} %" G_GUINT64_FORMAT "\n", classes[i],
						c->requests[i]);
		}
	}
	GW_METRIC ("apimd_gateway_response_bytes_total", "counter", "Bytes written to clients.",
		   response_bytes, 1)
	GW_METRIC ("apimd_gateway_request_seconds_total", "counter",
		   "Sum of request latencies (first byte in to last byte out).", total_us, 1e6)
	GW_METRIC ("apimd_gateway_upstream_requests_total", "counter", "Requests proxied to a backend.",
		   proxied, 1)
	GW_METRIC ("apimd_gateway_upstream_seconds_total", "counter",
		   "Sum of backend latencies (request sent to response head).", upstream_us, 1e6)
	GW_METRIC ("apimd_gateway_upstream_errors_total", "counter",
		   "Endpoint failures (each attempt, before any fail over).", upstream_errors, 1)
	GW_METRIC ("apimd_gateway_auth_failures_total", "counter",
		   "Requests refused by authentication or the key type rule.", auth_failures, 1)
#undef GW_METRIC
	return g_string_free (s, FALSE);
}
