/* SPDX-License-Identifier: Apache-2.0 */
/* Static web app serving (am-webapp.c) through a real SoupServer on
 * loopback, with raw requests so that the server sees exactly the target we
 * write (traversal attempts included). */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "am-test-util.h"
#include "am-webapp.h"
#include "test-http-util.h"
#include "test-soup-server.h"

typedef struct {
	char *dir;	/* temporary: root/ and secret.txt beside it */
	char *root;
	AmWebapp *app;
	TestSoupServer *server;
} Fixture;

static void
write_file (const char *dir, const char *rel, const char *text)
{
	g_autofree char *path = g_build_filename (dir, rel, NULL);
	g_autofree char *parent = g_path_get_dirname (path);
	g_autoptr (GError) error = NULL;

	g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
	g_assert_true (g_file_set_contents (path, text, -1, &error));
}

static void
setup_handler (SoupServer *soup, gpointer data)
{
	Fixture *f = data;

	soup_server_add_handler (soup, "/app", am_webapp_handle, f->app, NULL);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	const char *const origins[] = { "https://gw.example:8243", "http://gw.example:8280",
					"https://x; script-src *", NULL };
	g_autoptr (GError) error = NULL;
	g_autofree char *link = NULL;
	g_autofree char *dirlink = NULL;

	f->dir = g_dir_make_tmp ("test-webapp-XXXXXX", &error);
	g_assert_no_error (error);
	f->root = g_build_filename (f->dir, "root", NULL);
	write_file (f->dir, "secret.txt", "TOP SECRET\n");
	write_file (f->root, "index.html", "<!DOCTYPE html><title>home</title>\n");
	write_file (f->root, "js/app.js", "export const x = 1;\n");
	write_file (f->root, "css/site.css", "body { color: #111; }\n");
	write_file (f->root, "img/logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n");
	write_file (f->root, "data.bin", "\x01\x02");
	write_file (f->root, "sub/index.html", "<title>sub</title>\n");
	write_file (f->root, "empty/readme.txt", "no index here\n");
	write_file (f->root, ".hidden", "hidden\n");
	write_file (f->root, "a file.txt", "spaced\n");
	/* decoded once: %2520 is "%20", not a space */
	write_file (f->root, "a%20file.txt", "double-encoded\n");
	/* a symlink out of the root, one to a directory out of it, one inside */
	link = g_build_filename (f->root, "escape.txt", NULL);
	g_assert_cmpint (symlink ("../secret.txt", link), ==, 0);
	dirlink = g_build_filename (f->root, "up", NULL);
	g_assert_cmpint (symlink ("..", dirlink), ==, 0);
	g_free (link);
	link = g_build_filename (f->root, "alias.js", NULL);
	g_assert_cmpint (symlink ("js/app.js", link), ==, 0);

	g_test_expect_message ("am.core.webapp", G_LOG_LEVEL_WARNING, "*left out of connect-src*");
	f->app = am_webapp_new ("/app", f->root, origins, &error);
	g_test_assert_expected_messages ();
	g_assert_no_error (error);
	if (data != NULL)
		am_webapp_set_https_port (f->app, GPOINTER_TO_INT (data));
	f->server = test_soup_server_new (setup_handler, f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	test_soup_server_free (f->server);
	am_webapp_free (f->app);
	am_test_rm_rf (f->dir);
	g_free (f->dir);
	g_free (f->root);
}

/* One request with @extra header lines ("Name: v\r\n..."), the raw target. */
static TestResponse *
request (Fixture *f, const char *method, const char *target, const char *extra)
{
	g_autoptr (TestClient) c = test_client_new (test_soup_server_port (f->server), NULL);
	g_autofree char *req = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
						"Connection: close\r\n\r\n",
						method, target, extra ? extra : "");
	TestResponse *r;

	test_client_send_str (c, req);
	r = test_client_read (c, strcmp (method, "HEAD") == 0);
	g_assert_nonnull (r);
	return r;
}

static char *
body_text (TestResponse *r)
{
	return r->body->len > 0 ? g_strndup ((const char *) r->body->data, r->body->len)
				: g_strdup ("");
}

static void
assert_security_headers (TestResponse *r)
{
	const char *csp = test_response_header (r, "Content-Security-Policy");

	g_assert_cmpstr (test_response_header (r, "X-Content-Type-Options"), ==, "nosniff");
	g_assert_cmpstr (test_response_header (r, "X-Frame-Options"), ==, "DENY");
	g_assert_nonnull (csp);
	g_assert_nonnull (strstr (csp, "default-src 'self'"));
	g_assert_nonnull (strstr (csp, "script-src 'self';"));
	g_assert_nonnull (strstr (csp, "frame-ancestors 'none'"));
	/* the named origins are allowed for fetch, nothing else is */
	g_assert_nonnull (
		strstr (csp, "connect-src 'self' https://gw.example:8243 http://gw.example:8280;"));
	g_assert_null (strstr (csp, "script-src *"));
	g_assert_null (strstr (csp, "unsafe"));
}

/* @target answers @status without a byte of the file outside the root;
 * when the request reached the handler (@ours), with the security headers. */
static void
assert_refused (Fixture *f, const char *target, guint status, gboolean ours)
{
	g_autoptr (TestResponse) r = request (f, "GET", target, NULL);
	g_autofree char *body = body_text (r);

	g_test_message ("GET %s -> %u", target, r->status);
	if (r->status != status)
		g_error ("GET %s: %u, expected %u", target, r->status, status);
	g_assert_null (strstr (body, "TOP SECRET"));
	if (ours)
		assert_security_headers (r);
}

static void
assert_status (Fixture *f, const char *target, guint status)
{
	assert_refused (f, target, status, TRUE);
}

static void
test_index_and_types (Fixture *f, gconstpointer data)
{
	static const struct {
		const char *target, *type, *text;
	} cases[] = {
		{ "/app/", "text/html; charset=utf-8", "<title>home</title>" },
		{ "/app/index.html", "text/html; charset=utf-8", "<title>home</title>" },
		{ "/app/js/app.js", "text/javascript; charset=utf-8", "export const x" },
		{ "/app/css/site.css", "text/css; charset=utf-8", "color: #111" },
		{ "/app/img/logo.svg", "image/svg+xml", "<svg" },
		{ "/app/data.bin", "application/octet-stream", "\x01\x02" },
		{ "/app/sub/", "text/html; charset=utf-8", "<title>sub</title>" },
		{ "/app/a%20file.txt", "text/plain; charset=utf-8", "spaced" },
		{ "/app/a%2520file.txt", "text/plain; charset=utf-8", "double-encoded" },
		{ "/app/alias.js", "text/javascript; charset=utf-8", "export const x" },
		{ "/app/js/app.js?v=3", "text/javascript; charset=utf-8", "export const x" },
		{ "/app//js//app.js", "text/javascript; charset=utf-8", "export const x" },
		{ "/app/js%2fapp.js", "text/javascript; charset=utf-8", "export const x" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr (TestResponse) r = request (f, "GET", cases[i].target, NULL);
		g_autofree char *body = body_text (r);

		g_test_message ("GET %s", cases[i].target);
		g_assert_cmpuint (r->status, ==, 200);
		g_assert_cmpstr (test_response_header (r, "Content-Type"), ==, cases[i].type);
		g_assert_nonnull (strstr (body, cases[i].text));
		g_assert_nonnull (test_response_header (r, "ETag"));
		g_assert_nonnull (test_response_header (r, "Last-Modified"));
		g_assert_cmpstr (test_response_header (r, "Cache-Control"), ==, "no-cache");
		assert_security_headers (r);
	}
}

static void
test_redirects (Fixture *f, gconstpointer data)
{
	static const struct {
		const char *target, *location;
	} cases[] = {
		{ "/app", "/app/" },
		{ "/app?x=1", "/app/?x=1" },
		{ "/app/sub", "/app/sub/" },
		{ "/app/sub?y=2", "/app/sub/?y=2" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr (TestResponse) r = request (f, "GET", cases[i].target, NULL);

		g_assert_cmpuint (r->status, ==, 301);
		g_assert_cmpstr (test_response_header (r, "Location"), ==, cases[i].location);
		assert_security_headers (r);
	}
}

static void
test_refused (Fixture *f, gconstpointer data)
{
	/* libsoup's URI parser decodes %2e and removes dot segments, literal
	 * or encoded, before the handlers see the path: a traversal leaves
	 * /app/ and meets no handler (soup's 404), or stays inside the root */
	assert_refused (f, "/app/../secret.txt", 404, FALSE);
	assert_refused (f, "/app/%2e%2e/secret.txt", 404, FALSE);
	assert_refused (f, "/app/%2E%2E/secret.txt", 404, FALSE);
	assert_refused (f, "/app/.%2e/secret.txt", 404, FALSE);
	assert_refused (f, "/app/sub/%2e%2e/%2e%2e/secret.txt", 404, FALSE);
	assert_refused (f, "/app/sub/../../secret.txt", 404, FALSE);
	assert_refused (f, "/app/%zz", 400, FALSE);
	/* libsoup also answers 400 itself when the decoded path has a ".."
	 * segment or a NUL */
	assert_refused (f, "/app/..%2fsecret.txt", 400, FALSE);
	assert_refused (f, "/app/..%2Fsecret.txt", 400, FALSE);
	assert_refused (f, "/app/index.html%00.js", 400, FALSE);
	assert_refused (f, "/app/%00", 400, FALSE);
	/* what reaches the handler: a '\\' is 400; an encoded '/' is a '/' */
	assert_status (f, "/app/..%5csecret.txt", 400);
	assert_status (f, "/app/sub%5c..%5c..%5csecret.txt", 400);
	assert_status (f, "/app/js%5capp.js", 400);
	{
		g_autoptr (TestResponse) r = request (f, "GET", "/app/sub/%2e%2e/index.html", NULL);
		g_autofree char *body = body_text (r);

		g_assert_cmpuint (r->status, ==, 200);
		g_assert_nonnull (strstr (body, "<title>home</title>"));
	}
	/* symlinks out of the root, hidden files, no listing, missing */
	assert_status (f, "/app/escape.txt", 404);
	assert_status (f, "/app/up/secret.txt", 404);
	assert_status (f, "/app/up/", 404);
	assert_status (f, "/app/.hidden", 404);
	assert_status (f, "/app/%2ehidden", 404);
	assert_status (f, "/app/empty/", 404);
	assert_status (f, "/app/missing.js", 404);
	assert_status (f, "/app/index.html/", 404);
	{
		g_autoptr (TestResponse) r = request (f, "GET", "/application", NULL);
		g_assert_cmpuint (r->status, ==, 404);
	}
}

static void
test_methods (Fixture *f, gconstpointer data)
{
	const char *methods[] = { "POST", "PUT", "DELETE", "OPTIONS" };
	g_autoptr (TestResponse) head = request (f, "HEAD", "/app/js/app.js", NULL);

	g_assert_cmpuint (head->status, ==, 200);
	g_assert_cmpuint (head->body->len, ==, 0);
	g_assert_cmpstr (test_response_header (head, "Content-Length"), ==, "20");
	for (gsize i = 0; i < G_N_ELEMENTS (methods); i++) {
		g_autoptr (TestResponse) r = request (f, methods[i], "/app/index.html",
						      "Content-Length: 0\r\n");

		g_assert_cmpuint (r->status, ==, 405);
		g_assert_cmpstr (test_response_header (r, "Allow"), ==, "GET, HEAD");
		assert_security_headers (r);
	}
}

static void
test_conditional (Fixture *f, gconstpointer data)
{
	g_autoptr (TestResponse) r = request (f, "GET", "/app/js/app.js", NULL);
	g_autofree char *etag = g_strdup (test_response_header (r, "ETag"));
	g_autofree char *lm = g_strdup (test_response_header (r, "Last-Modified"));
	g_autofree char *h = NULL;
	g_autofree char *path = g_build_filename (f->root, "js", "app.js", NULL);
	struct {
		const char *header;
		guint status;
	} cases[] = {
		{ "If-None-Match: ", 304 },
		{ "If-None-Match: \"nope\", ", 304 },
		{ "If-None-Match: W/", 304 },
		{ "If-None-Match: \"nope\"\r\nIf-Modified-Since: ", 200 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr (TestResponse) c = NULL;

		g_free (h);
		h = g_strconcat (cases[i].header, i == 3 ? lm : etag, "\r\n", NULL);
		c = request (f, "GET", "/app/js/app.js", h);
		g_assert_cmpuint (c->status, ==, cases[i].status);
		if (c->status == 304) {
			g_assert_cmpuint (c->body->len, ==, 0);
			g_assert_cmpstr (test_response_header (c, "ETag"), ==, etag);
		}
	}
	{
		g_autoptr (TestResponse) c = NULL;

		g_free (h);
		h = g_strdup_printf ("If-Modified-Since: %s\r\n", lm);
		c = request (f, "GET", "/app/js/app.js", h);
		g_assert_cmpuint (c->status, ==, 304);
		assert_security_headers (c);
	}
	{
		g_autoptr (TestResponse) c = request (
			f, "GET", "/app/js/app.js", "If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT\r\n");
		g_assert_cmpuint (c->status, ==, 200);
	}
	/* a changed file gets a new ETag: the old one no longer matches */
	{
		g_autoptr (TestResponse) c = NULL;
		g_autoptr (GError) error = NULL;

		g_assert_true (g_file_set_contents (path, "export const x = 22;\n", -1, &error));
		g_free (h);
		h = g_strdup_printf ("If-None-Match: %s\r\n", etag);
		c = request (f, "GET", "/app/js/app.js", h);
		g_assert_cmpuint (c->status, ==, 200);
		g_assert_cmpstr (test_response_header (c, "ETag"), !=, etag);
	}
}

static void
test_https_redirect (Fixture *f, gconstpointer data)
{
	g_autoptr (TestResponse) r = request (f, "GET", "/app/js/app.js?a=1", NULL);
	g_autoptr (TestResponse) d = request (f, "GET", "/app", NULL);

	g_assert_cmpuint (r->status, ==, 301);
	g_assert_cmpstr (test_response_header (r, "Location"), ==,
			 "https://127.0.0.1:9443/app/js/app.js?a=1");
	g_assert_cmpuint (d->status, ==, 301);
	g_assert_cmpstr (test_response_header (d, "Location"), ==, "https://127.0.0.1:9443/app");
	assert_security_headers (r);
}

static void
test_bad_root (void)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (AmWebapp) app = am_webapp_new ("/x", "/nonexistent/webapp/dir", NULL, &error);

	g_assert_null (app);
	g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
	g_assert_nonnull (strstr (error->message, "/nonexistent/webapp/dir"));
	g_clear_error (&error);
	app = am_webapp_new ("/x", "/etc/hostname", NULL, &error);
	g_assert_null (app);
	g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
#define T(name, fn, data)                                                                      \
	g_test_add ("/webapp/" name, Fixture, data, fixture_setup, fn, fixture_teardown)
	T ("index-and-types", test_index_and_types, NULL);
	T ("redirects", test_redirects, NULL);
	T ("refused", test_refused, NULL);
	T ("methods", test_methods, NULL);
	T ("conditional", test_conditional, NULL);
	T ("https-redirect", test_https_redirect, GINT_TO_POINTER (9443));
	g_test_add_func ("/webapp/bad-root", test_bad_root);
	return g_test_run ();
}
