/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server: the current configuration snapshot, the modules of the
 * selected profile started in order on the main context (stopped in
 * reverse), reload on SIGHUP, and the core services the core modules
 * publish for the others (keystore, datasources, user store, management
 * HTTP server).
 */
#pragma once

#include "am-conf.h"
#include "am-db.h"
#include "am-keystore.h"
#include "am-module.h"

typedef struct _AmUserStore AmUserStore;
typedef struct _AmMgmt AmMgmt;
typedef struct _AmKm AmKm;

AmServer *am_server_new (AmConf *conf, const char *profile, GHashTable *sysprops);
void am_server_free (AmServer *server);

/* Start every module of the profile; on failure the ones already started
 * are stopped again and @error says which module failed and why. */
gboolean am_server_start (AmServer *server, GError **error);
/* Stop the started modules in reverse order. */
void am_server_stop (AmServer *server);
/* Re-read the configuration; refuse (FALSE) when it is invalid or when a
 * restart-only setting changed, naming them. */
gboolean am_server_reload (AmServer *server, GError **error);

AmConf *am_server_get_conf (AmServer *server); /* borrowed; take a ref to keep it */
const char *am_server_get_profile (AmServer *server);
const char *am_server_get_sysprop (AmServer *server, const char *name);
gboolean am_server_is_ready (AmServer *server);
gint64 am_server_get_start_time (AmServer *server); /* monotonic usec */

/* Core services, published by the core modules (borrowed pointers). */
void am_server_set_keystores (AmServer *server, AmKeystore *keystore, AmKeystore *truststore);
AmKeystore *am_server_get_keystore (AmServer *server);
AmKeystore *am_server_get_truststore (AmServer *server);
/* @dbs: every datasource; @in_use: those this profile works on (what
 * /health/ready checks). */
void am_server_set_dbs (AmServer *server, GPtrArray *dbs, GPtrArray *in_use);
GPtrArray *am_server_get_dbs (AmServer *server);
GPtrArray *am_server_get_dbs_in_use (AmServer *server);
/* By JNDI name (jdbc/WSO2AM_DB) or datasource name (WSO2AM_DB). */
AmDb *am_server_get_db (AmServer *server, const char *name);
void am_server_set_userstore (AmServer *server, AmUserStore *userstore);
AmUserStore *am_server_get_userstore (AmServer *server);
void am_server_set_mgmt (AmServer *server, AmMgmt *mgmt);
AmMgmt *am_server_get_mgmt (AmServer *server);
/* The Key Manager, when this profile runs it (NULL otherwise). */
void am_server_set_km (AmServer *server, AmKm *km);
AmKm *am_server_get_km (AmServer *server);

/* Whether this profile works on the API-M database (AM_* / IDN_* tables). */
gboolean am_server_profile_uses_am_db (AmServer *server);
