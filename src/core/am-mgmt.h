/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The management HTTP server (libsoup): Carbon's servlet transports, HTTPS
 * on 9443 and HTTP on 9763 (+ offset, from catalina-server.xml), TLS from
 * the carbon.xml keystore.  Modules mount their handlers here (OAuth2, SOAP
 * admin services, REST APIs, web apps).  Built in: GET /services/Version,
 * /health/live and /health/ready.
 */
#pragma once

#include <libsoup/soup.h>

#include "am-server.h"

SoupServer *am_mgmt_get_soup_server (AmMgmt *mgmt);
/* Mount @callback at @path (a prefix, as soup_server_add_handler). */
void am_mgmt_add_handler (AmMgmt *mgmt, const char *path, SoupServerCallback callback,
			  gpointer user_data, GDestroyNotify destroy);
void am_mgmt_remove_handler (AmMgmt *mgmt, const char *path);
/* The URL clients use to reach this server (https, proxy port when set). */
char *am_mgmt_base_url (AmMgmt *mgmt, gboolean https);

/* Helpers for handlers: a JSON or XML body with a status. */
void am_mgmt_respond (SoupServerMessage *msg, guint status, const char *content_type,
		      const char *body);
