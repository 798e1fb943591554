/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which WSO2 schema the API-M database has.  A database created by WSO2
 * 2.1 (carbon-apimgt 6.1.x) has no token hash columns and keeps scope roles
 * in IDN_OAUTH2_SCOPE.ROLES; 2.6 (6.4.x) looks tokens up by their SHA-256
 * hash and binds roles in IDN_OAUTH2_SCOPE_BINDING.  We work on both as
 * they are, never altering the operator's schema.
 */
#define G_LOG_DOMAIN "am.km"
#include "config.h"

#include "am-km.h"

gboolean
am_km_schema_detect (AmDbConn *conn, AmKmSchema *schema, GError **error)
{
	GError *local = NULL;

	*schema = (AmKmSchema) { 0 };
	if (!am_db_table_exists (conn, "IDN_OAUTH2_ACCESS_TOKEN", &local) ||
	    !am_db_table_exists (conn, "AM_API", &local)) {
		if (local != NULL) {
			g_propagate_error (error, local);
		} else {
			g_set_error (error, AM_DB_ERROR, AM_DB_ERROR_NO_SCHEMA,
				     "%s has no API-M tables (IDN_OAUTH2_ACCESS_TOKEN, AM_API): "
				     "run dbscripts/apimgt/%s.sql",
				     am_db_get_name (am_db_conn_get_db (conn)),
				     am_db_get_kind (am_db_conn_get_db (conn)) == AM_DB_MYSQL
					     ? "mysql"
					     : "sqlite");
		}
		return FALSE;
	}
	schema->token_hash = am_db_column_exists (conn, "IDN_OAUTH2_ACCESS_TOKEN",
						  "ACCESS_TOKEN_HASH", &local);
	if (local == NULL)
		schema->scope_binding = am_db_table_exists (conn, "IDN_OAUTH2_SCOPE_BINDING", &local);
	if (local == NULL)
		schema->app_token_type = am_db_column_exists (conn, "AM_APPLICATION", "TOKEN_TYPE",
							      &local);
	if (local == NULL)
		schema->app_expiry_times = am_db_column_exists (
			conn, "IDN_OAUTH_CONSUMER_APPS", "APP_ACCESS_TOKEN_EXPIRE_TIME", &local);
	if (local == NULL)
		schema->app_state = am_db_column_exists (conn, "IDN_OAUTH_CONSUMER_APPS",
							 "APP_STATE", &local);
	if (local == NULL)
		schema->policies = am_db_table_exists (conn, "AM_POLICY_SUBSCRIPTION", &local);
	if (local != NULL) {
		g_propagate_error (error, local);
		return FALSE;
	}
	return TRUE;
}
