/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Static web applications (the Publisher and Store UIs) on the management
 * server.  WSO2 2.x deployed them as Jaggery apps from
 * repository/deployment/server/jaggeryapps/<app>/ and Tomcat served them at
 * https://host:9443/<app>/; ours are plain HTML/CSS/JS files with no
 * server-side code, so this file only has to serve files, and to do it
 * safely:
 *
 *  - GET and HEAD only (405 with Allow otherwise); "/publisher" redirects to
 *    "/publisher/" (as Tomcat does for a context root) and a directory to
 *    its trailing-slash form; a directory serves its index.html, never a
 *    listing (404 without one).
 *  - libsoup hands the handler the path percent-decoded once; it is never
 *    decoded again.  libsoup's URI parser already removes dot segments,
 *    literal or %2e-encoded, and answers 400 itself for a decoded ".." or
 *    NUL; the checks here do not rely on that: a "." or ".." segment or a
 *    '\\' is refused with 400.  Refused with 404: hidden names (".git"),
 *    anything whose real path (symlinks resolved) is outside the root,
 *    anything that is not a regular file.
 *  - Content-Type from the extension (text types in UTF-8), ETag (size and
 *    mtime) and Last-Modified with 304 for If-None-Match / If-Modified-Since,
 *    Cache-Control: no-cache (there is no build step that would version the
 *    file names, so browsers revalidate every time).
 *  - Every response, errors included, carries X-Content-Type-Options:
 *    nosniff, X-Frame-Options: DENY, Referrer-Policy: same-origin and a
 *    Content-Security-Policy allowing only 'self' (plus, for connect-src,
 *    the origins the caller names: the Store's try-out calls the gateways).
 *  - Over plain HTTP (9763) the apps redirect to HTTPS when a port is set:
 *    they take passwords and keep a token.
 *
 * Files are small and local; they are read whole with a size cap.
 */
#define G_LOG_DOMAIN "am.core.webapp"
#include "config.h"

#include "am-webapp.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Larger files are not web app assets. */
#define WEBAPP_MAX_FILE (16 * 1024 * 1024)

struct _AmWebapp {
	char *prefix;	/* "/publisher" */
	char *root;	/* realpath of the served directory */
	char *csp;
	int https_port; /* 0: no redirect */
};

static const struct {
	const char *ext;
	const char *type;
} webapp_types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "json", "application/json" },
	{ "map", "application/json" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "ico", "image/x-icon" },
	{ "webp", "image/webp" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
};

static const char *
webapp_content_type (const char *file)
{
	const char *base = strrchr (file, '/');
	const char *dot = strrchr (base != NULL ? base : file, '.');

	if (dot != NULL) {
		for (gsize i = 0; i < G_N_ELEMENTS (webapp_types); i++)
			if (g_ascii_strcasecmp (dot + 1, webapp_types[i].ext) == 0)
				return webapp_types[i].type;
	}
	return "application/octet-stream";
}

AmWebapp *
am_webapp_new (const char *prefix, const char *root, const char *const *connect_src,
	       GError **error)
{
	g_autofree char *real = NULL;
	g_autoptr (GString) csp = NULL;
	AmWebapp *self;

	g_return_val_if_fail (prefix != NULL && prefix[0] == '/', NULL);
	g_return_val_if_fail (!g_str_has_suffix (prefix, "/"), NULL);

	real = realpath (root, NULL);
	if (real == NULL || !g_file_test (real, G_FILE_TEST_IS_DIR)) {
		int saved = real == NULL ? errno : ENOTDIR;
		g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
			     "web app directory %s: %s", root, g_strerror (saved));
		return NULL;
	}
	csp = g_string_new ("default-src 'self'; script-src 'self'; style-src 'self'; "
			    "img-src 'self' data:; font-src 'self'; connect-src 'self'");
	for (guint i = 0; connect_src != NULL && connect_src[i] != NULL; i++) {
		/* an origin is scheme://host[:port]: nothing that could end the
		 * directive or open another one */
		if (strpbrk (connect_src[i], " ;,\"'\r\n") != NULL || *connect_src[i] == '\0') {
			g_warning ("%s: origin '%s' left out of connect-src", prefix, connect_src[i]);
			continue;
		}
		g_string_append_printf (csp, " %s", connect_src[i]);
	}
	g_string_append (csp, "; object-src 'none'; base-uri 'self'; form-action 'self'; "
			      "frame-ancestors 'none'");

	self = g_new0 (AmWebapp, 1);
	self->prefix = g_strdup (prefix);
	self->root = g_steal_pointer (&real);
	self->csp = g_string_free (g_steal_pointer (&csp), FALSE);
	return self;
}

void
am_webapp_free (AmWebapp *app)
{
	if (app == NULL)
		return;
	g_free (app->prefix);
	g_free (app->root);
	g_free (app->csp);
	g_free (app);
}

void
am_webapp_set_https_port (AmWebapp *app, int port)
{
	app->https_port = port;
}

const char *
am_webapp_get_prefix (AmWebapp *app)
{
	return app->prefix;
}

const char *
am_webapp_get_csp (AmWebapp *app)
{
	return app->csp;
}

/* ---- responses ---- */

static void
webapp_error (SoupServerMessage *msg, guint status)
{
	const char *phrase = soup_status_get_phrase (status);
	g_autofree char *body = g_strdup_printf (
		"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<title>%u %s</title></head><body><h1>%u %s</h1></body></html>\n",
		status, phrase, status, phrase);

	soup_server_message_set_status (msg, status, NULL);
	soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY, body,
					  strlen (body));
}

/* A relative Location (RFC 9110 allows it) stays right behind a proxy that
 * rewrites the host or port. */
static void
webapp_redirect (SoupServerMessage *msg, const char *location)
{
	soup_server_message_set_status (msg, SOUP_STATUS_MOVED_PERMANENTLY, NULL);
	soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Location",
				      location);
}

/* Location for the same request with @path (decoded; encoded here). */
static char *
webapp_location (SoupServerMessage *msg, const char *path)
{
	const char *q = g_uri_get_query (soup_server_message_get_uri (msg));
	g_autofree char *enc = g_uri_escape_string (path, G_URI_RESERVED_CHARS_ALLOWED_IN_PATH, FALSE);

	return q != NULL ? g_strconcat (enc, "?", q, NULL) : g_steal_pointer (&enc);
}

static gboolean
webapp_etag_matches (const char *header, const char *etag)
{
	g_auto (GStrv) tags = NULL;

	if (header == NULL)
		return FALSE;
	tags = g_strsplit (header, ",", -1);
	for (guint i = 0; tags[i] != NULL; i++) {
		const char *t = g_strstrip (tags[i]);

		if (strcmp (t, "*") == 0)
			return TRUE;
		/* weak comparison, as RFC 9110 asks for If-None-Match */
		if (g_str_has_prefix (t, "W/"))
			t += 2;
		if (strcmp (t, etag) == 0)
			return TRUE;
	}
	return FALSE;
}

static gboolean
webapp_not_modified (SoupMessageHeaders *req, const char *etag, gint64 mtime)
{
	const char *inm = soup_message_headers_get_one (req, "If-None-Match");
	const char *ims;
	g_autoptr (GDateTime) since = NULL;

	/* If-None-Match wins over If-Modified-Since when both are there */
	if (inm != NULL)
		return webapp_etag_matches (inm, etag);
	ims = soup_message_headers_get_one (req, "If-Modified-Since");
	if (ims == NULL || (since = soup_date_time_new_from_http_string (ims)) == NULL)
		return FALSE;
	return mtime <= g_date_time_to_unix (since);
}

static void
webapp_send_file (SoupServerMessage *msg, const char *file, const struct stat *st)
{
	SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
	SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
	g_autoptr (GError) error = NULL;
	g_autoptr (GDateTime) mtime = g_date_time_new_from_unix_utc (st->st_mtim.tv_sec);
	g_autofree char *last_modified = soup_date_time_to_string (mtime, SOUP_DATE_HTTP);
	g_autofree char *etag = g_strdup_printf (
		"\"%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x-%lx\"", (gint64) st->st_size,
		(gint64) st->st_mtim.tv_sec, (unsigned long) st->st_mtim.tv_nsec);
	char *data = NULL;
	gsize len = 0;

	soup_message_headers_replace (resp, "ETag", etag);
	soup_message_headers_replace (resp, "Last-Modified", last_modified);
	soup_message_headers_replace (resp, "Cache-Control", "no-cache");
	if (webapp_not_modified (req, etag, st->st_mtim.tv_sec)) {
		soup_server_message_set_status (msg, SOUP_STATUS_NOT_MODIFIED, NULL);
		return;
	}
	if (st->st_size > WEBAPP_MAX_FILE) {
		g_warning ("%s: larger than %d bytes, not served", file, WEBAPP_MAX_FILE);
		webapp_error (msg, SOUP_STATUS_NOT_FOUND);
		return;
	}
	if (!g_file_get_contents (file, &data, &len, &error)) {
		g_warning ("%s", error->message);
		webapp_error (msg, SOUP_STATUS_NOT_FOUND);
		return;
	}
	soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response (msg, webapp_content_type (file), SOUP_MEMORY_TAKE, data,
					  len);
}

/* ---- paths ---- */

/* The real path of @rel (decoded, relative, '/'-separated, checked segments)
 * under the root, or NULL when it does not exist or escapes the root. */
static char *
webapp_real_path (AmWebapp *self, const char *rel)
{
	g_autofree char *joined = g_build_filename (self->root, rel, NULL);
	g_autofree char *real = realpath (joined, NULL);
	gsize n = strlen (self->root);

	if (real == NULL)
		return NULL;
	if (strcmp (real, self->root) != 0 &&
	    !(strncmp (real, self->root, n) == 0 && real[n] == '/')) {
		g_debug ("%s%s: resolves to %s, outside %s", self->prefix, rel, real, self->root);
		return NULL;
	}
	return g_steal_pointer (&real);
}

/* Check the (decoded) part of the path after the prefix ("a//b.js").
 * Returns the relative path ("a/b.js", "" for the root) or NULL with the
 * status to answer in @status. */
static char *
webapp_check (const char *rest, guint *status)
{
	g_auto (GStrv) segs = g_strsplit (rest, "/", -1);
	g_autoptr (GString) out = g_string_new (NULL);

	for (guint i = 0; segs[i] != NULL; i++) {
		const char *seg = segs[i];

		if (*seg == '\0')
			continue;
		if (strcmp (seg, ".") == 0 || strcmp (seg, "..") == 0 ||
		    strchr (seg, '\\') != NULL) {
			*status = SOUP_STATUS_BAD_REQUEST;
			return NULL;
		}
		if (seg[0] == '.') {
			*status = SOUP_STATUS_NOT_FOUND;
			return NULL;
		}
		if (out->len > 0)
			g_string_append_c (out, '/');
		g_string_append (out, seg);
	}
	return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Plain HTTP with an HTTPS port set: the same URL on https. */
static gboolean
webapp_redirect_to_https (AmWebapp *self, SoupServerMessage *msg)
{
	GUri *uri = soup_server_message_get_uri (msg);
	const char *host = g_uri_get_host (uri);
	g_autofree char *location = NULL;
	g_autofree char *path = NULL;

	if (self->https_port <= 0 || g_strcmp0 (g_uri_get_scheme (uri), "https") == 0)
		return FALSE;
	if (host == NULL || *host == '\0')
		host = "localhost";
	path = webapp_location (msg, g_uri_get_path (uri));
	location = g_strdup_printf ("https://%s%s%s:%d%s", strchr (host, ':') ? "[" : "", host,
				    strchr (host, ':') ? "]" : "", self->https_port, path);
	webapp_redirect (msg, location);
	return TRUE;
}

void
am_webapp_handle (SoupServer *soup, SoupServerMessage *msg, const char *decoded_path,
		  GHashTable *query, gpointer user_data)
{
	AmWebapp *self = user_data;
	/* libsoup decoded the path once (and refused a NUL or a ".." in it);
	 * decoding it again would make "%252e%252e" a "..": never do */
	const char *path = decoded_path;
	SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
	const char *method = soup_server_message_get_method (msg);
	gsize plen = strlen (self->prefix);
	const char *rest;
	g_autofree char *rel = NULL;
	g_autofree char *real = NULL;
	struct stat st;
	guint status = SOUP_STATUS_NOT_FOUND;

	soup_message_headers_replace (resp, "X-Content-Type-Options", "nosniff");
	soup_message_headers_replace (resp, "X-Frame-Options", "DENY");
	soup_message_headers_replace (resp, "Referrer-Policy", "same-origin");
	soup_message_headers_replace (resp, "Content-Security-Policy", self->csp);

	if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0) {
		soup_message_headers_replace (resp, "Allow", "GET, HEAD");
		webapp_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED);
		return;
	}
	if (webapp_redirect_to_https (self, msg))
		return;
	if (strncmp (path, self->prefix, plen) != 0 || (path[plen] != '\0' && path[plen] != '/')) {
		webapp_error (msg, SOUP_STATUS_NOT_FOUND);
		return;
	}
	if (path[plen] == '\0') {
		g_autofree char *dir = g_strconcat (path, "/", NULL);
		g_autofree char *location = webapp_location (msg, dir);

		webapp_redirect (msg, location);
		return;
	}
	rest = path + plen + 1;
	rel = webapp_check (rest, &status);
	if (rel == NULL || (real = webapp_real_path (self, rel)) == NULL ||
	    stat (real, &st) != 0) {
		webapp_error (msg, status);
		return;
	}
	if (S_ISDIR (st.st_mode)) {
		g_autofree char *index = NULL;

		if (*rest != '\0' && !g_str_has_suffix (rest, "/")) {
			g_autofree char *dir = g_strconcat (path, "/", NULL);
			g_autofree char *location = webapp_location (msg, dir);

			webapp_redirect (msg, location);
			return;
		}
		index = g_build_filename (rel, "index.html", NULL);
		g_clear_pointer (&real, g_free);
		real = webapp_real_path (self, index);
		if (real == NULL || stat (real, &st) != 0) {
			webapp_error (msg, SOUP_STATUS_NOT_FOUND);
			return;
		}
	} else if (g_str_has_suffix (rest, "/")) {
		/* "index.html/" names a directory that is not there */
		webapp_error (msg, SOUP_STATUS_NOT_FOUND);
		return;
	}
	if (!S_ISREG (st.st_mode)) {
		webapp_error (msg, SOUP_STATUS_NOT_FOUND);
		return;
	}
	webapp_send_file (msg, real, &st);
}
