/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Static web applications on the management server: a directory of the
 * carbon home (repository/deployment/server/jaggeryapps/<app>/) served under
 * a path prefix (/publisher, /store), as Carbon's Jaggery deployer served
 * them.  See am-webapp.c for the rules (types, validators, traversal,
 * security headers).
 */
#pragma once

#include <libsoup/soup.h>

typedef struct _AmWebapp AmWebapp;

/* Serve the directory @root at @prefix ("/publisher": no trailing slash).
 * @connect_src: origins the pages may call besides their own (added to the
 * Content-Security-Policy's connect-src), NULL for none.  Fails when @root
 * is not a readable directory. */
AmWebapp *am_webapp_new (const char *prefix, const char *root, const char *const *connect_src,
			 GError **error);
void am_webapp_free (AmWebapp *app);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmWebapp, am_webapp_free)

/* Requests over plain HTTP are redirected to HTTPS on @port (the request's
 * host name kept), as Carbon's CONFIDENTIAL web apps were; 0 (the default)
 * serves both. */
void am_webapp_set_https_port (AmWebapp *app, int port);

const char *am_webapp_get_prefix (AmWebapp *app);
/* The Content-Security-Policy value sent with every response. */
const char *am_webapp_get_csp (AmWebapp *app);

/* The SoupServerCallback, @user_data being the AmWebapp; mount it at the
 * prefix: soup_server_add_handler (soup, prefix, am_webapp_handle, app, NULL). */
void am_webapp_handle (SoupServer *soup, SoupServerMessage *msg, const char *path,
		       GHashTable *query, gpointer user_data);
