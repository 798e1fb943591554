/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the unit tests. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "am-apim-conf.h"
#include "am-core-conf.h"
#include "am-db.h"

/* Remove @path and, for a directory, everything below it (symlinks are
 * removed, not followed). */
void am_test_rm_rf (const char *path);

/* The paths of the *.xml files directly in @dir, sorted; the directory
 * must exist. */
GPtrArray *am_test_xml_files (const char *dir);

/* The text of dbscripts/@rel ("sqlite.sql", "apimgt/sqlite.sql"): the
 * schemas the server itself loads. */
char *am_test_schema_text (const char *rel);
/* A SQLite datasource (WSO2AM_DB, file am.db in @dir) with the dbscripts
 * @schemas (NULL-terminated) applied and committed. */
AmDb *am_test_sqlite_db (const char *dir, const char *const *schemas);
/* The user-mgt.xml values of a stock install (admin/admin, SHA-256, salted). */
void am_test_core_conf (AmCoreConf *core);

/* The compact text of @node, which is freed. */
char *am_test_text (JsonNode *node);
/* @text parsed (it must be JSON). */
JsonNode *am_test_parse (const char *text);
/* An api-manager.xml Environment: @endpoints the comma-separated
 * GatewayEndpoint list, shown in the API console, serverUrl
 * https://localhost:9443/services/. */
AmEnvironmentConf *am_test_env_new (const char *name, int type, const char *endpoints);
void am_test_env_free (gpointer env);
