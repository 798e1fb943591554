/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "keymanager" module: reads identity.xml's OAuth settings, opens the
 * API-M datasource, learns which WSO2 schema variant it holds, and starts
 * the components (OAuth endpoints, Thrift, SOAP, gateway notification) in
 * order; they stop in reverse.
 */
#define G_LOG_DOMAIN "am.km"
#include "config.h"

#include "am-km-private.h"
#include "am-log.h"

#define F AM_CONF_FILE_IDENTITY
#define DI(path, field, def)                                                                   \
	{ F, path, AM_CONF_INT64, G_STRUCT_OFFSET (AmKmConf, field), def, 0, -2, G_MAXINT32,   \
	  NULL }

static const AmConfDirective km_directives[] = {
	DI ("OAuth/AccessTokenDefaultValidityPeriod", app_token_validity, "3600"),
	DI ("OAuth/UserAccessTokenDefaultValidityPeriod", user_token_validity, "3600"),
	DI ("OAuth/RefreshTokenValidityPeriod", refresh_token_validity, "84600"),
	{ F, "OAuth/TimestampSkew", AM_CONF_INT, G_STRUCT_OFFSET (AmKmConf, timestamp_skew), "300",
	  0, 0, 86400, NULL },
	{ F, "OAuth/RenewRefreshTokenForRefreshGrant", AM_CONF_BOOL,
	  G_STRUCT_OFFSET (AmKmConf, renew_refresh_token), "true", 0, 0, 0, NULL },
	{ 0 },
};

/* thrift-authentication.xml's shipped ThriftSessionTimeout (ms); that file
 * is not read. */
#define KM_THRIFT_SESSION_TIMEOUT 1800000

static const AmKmComponent *const km_components[] = {
	&am_km_oauth_component,
	&am_km_thrift_auth_component,
	&am_km_thrift_component,
	&am_km_soap_component,
	&am_km_notify_component,
	NULL,
};

AmServer *
am_km_get_server (AmKm *km)
{
	return km->server;
}

AmDb *
am_km_get_db (AmKm *km)
{
	return km->db;
}

const AmKmConf *
am_km_get_conf (AmKm *km)
{
	return &km->conf;
}

const AmApimConf *
am_km_get_apim (AmKm *km)
{
	return km->apim;
}

const AmKmSchema *
am_km_get_schema (AmKm *km)
{
	return &km->schema;
}

gint64
am_km_now (AmKm *km)
{
	return km->now ();
}

void
am_km_set_clock (AmKm *km, gint64 (*now) (void))
{
	km->now = now != NULL ? now : g_get_real_time;
}

void
am_km_set_keystore (AmKm *km, AmKeystore *keystore)
{
	km->keystore = keystore;
}

void
am_km_set_userstore (AmKm *km, AmUserStore *userstore)
{
	km->userstore = userstore;
}

void
am_km_add_revoke_hook (AmKm *km, AmKmRevokeHook hook, gpointer data)
{
	KmRevokeHook h = { hook, data };

	g_mutex_lock (&km->hook_lock);
	g_array_append_val (km->revoke_hooks, h);
	g_mutex_unlock (&km->hook_lock);
}

void
am_km_remove_revoke_hook (AmKm *km, AmKmRevokeHook hook, gpointer data)
{
	g_mutex_lock (&km->hook_lock);
	for (guint i = 0; i < km->revoke_hooks->len; i++) {
		KmRevokeHook *h = &g_array_index (km->revoke_hooks, KmRevokeHook, i);

		if (h->hook == hook && h->data == data) {
			g_array_remove_index (km->revoke_hooks, i);
			break;
		}
	}
	g_mutex_unlock (&km->hook_lock);
}

static AmKm *
km_alloc (AmDb *db)
{
	AmKm *km = g_new0 (AmKm, 1);

	km->db = am_db_ref (db);
	km->now = g_get_real_time;
	g_mutex_init (&km->hook_lock);
	km->revoke_hooks = g_array_new (FALSE, FALSE, sizeof (KmRevokeHook));
	km->components = g_ptr_array_new ();
	am_km_cache_init (km);
	return km;
}

static gboolean
km_detect_schema (AmKm *km, GError **error)
{
	g_autoptr (AmDbConn) conn = am_db_acquire_reader (km->db, error);

	if (conn == NULL)
		return FALSE;
	return am_km_schema_detect (conn, &km->schema, error);
}

/* WSO2's defaults for the api-manager.xml settings, as if the file were empty. */
static AmApimConf *
km_default_apim (void)
{
	AmApimConf *apim = g_new0 (AmApimConf, 1);
	AmConfDoc *docs[AM_CONF_N_FILES] = { NULL };
	g_autoptr (GHashTable) props = g_hash_table_new (g_str_hash, g_str_equal);
	g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);

	am_conf_apply (docs, am_apim_directives, apim, props, errors);
	return apim;
}

AmKm *
am_km_new_for_db (AmDb *db, const AmApimConf *apim, const AmKmConf *conf, GError **error)
{
	g_autoptr (AmKm) km = km_alloc (db);

	if (apim == NULL)
		apim = km->apim_own = km_default_apim ();
	km->apim = apim;
	if (conf != NULL) {
		km->conf = *conf;
	} else {
		AmConfDoc *docs[AM_CONF_N_FILES] = { NULL };
		g_autoptr (GHashTable) props = g_hash_table_new (g_str_hash, g_str_equal);
		g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func (g_free);

		am_conf_apply (docs, km_directives, &km->conf, props, errors);
	}
	if (km->conf.thrift_session_timeout <= 0)
		km->conf.thrift_session_timeout = KM_THRIFT_SESSION_TIMEOUT;
	if (!km_detect_schema (km, error))
		return NULL;
	return g_steal_pointer (&km);
}

void
am_km_free (AmKm *km)
{
	if (km == NULL)
		return;
	for (guint i = km->components->len; i > 0; i--) {
		gpointer state = g_ptr_array_index (km->components, i - 1);

		km_components[i - 1]->stop (state);
	}
	g_ptr_array_unref (km->components);
	am_km_cache_fini (km);
	g_mutex_clear (&km->hook_lock);
	g_array_unref (km->revoke_hooks);
	if (km->apim_own != NULL) {
		am_conf_clear (am_apim_directives, km->apim_own);
		g_free (km->apim_own);
	}
	if (km->conf_ref != NULL)
		am_conf_unref (km->conf_ref);
	am_db_unref (km->db);
	g_free (km);
}

/* A Key Manager of @server's configuration, no component started. */
static AmKm *
km_new_for_server (AmServer *server, GError **error)
{
	AmConf *conf = am_server_get_conf (server);
	const AmApimConf *apim = am_conf_apim (conf);
	const AmKmConf *kconf = am_conf_module (conf, &am_keymanager_module);
	AmDb *db = am_server_get_db (server, apim->datasource);
	g_autoptr (AmKm) km = NULL;

	if (db == NULL) {
		g_set_error (error, AM_KM_ERROR, AM_KM_ERROR_FAILED,
			     "api-manager.xml DataSourceName '%s' is not a datasource",
			     apim->datasource);
		return NULL;
	}
	km = km_alloc (db);
	km->server = server;
	km->conf_ref = am_conf_ref (conf);
	km->apim = apim;
	km->conf = *kconf;
	km->conf.thrift_session_timeout = KM_THRIFT_SESSION_TIMEOUT;
	km->keystore = am_server_get_keystore (server);
	km->userstore = am_server_get_userstore (server);
	if (!km_detect_schema (km, error))
		return NULL;
	return g_steal_pointer (&km);
}

AmKm *
am_km_new_for_server (AmServer *server, GError **error)
{
	return km_new_for_server (server, error);
}

static gpointer
km_start (AmServer *server, GError **error)
{
	g_autoptr (AmKm) km = km_new_for_server (server, error);

	if (km == NULL)
		return NULL;
	g_debug ("API-M schema: token hash %s, scope bindings %s", km->schema.token_hash ? "yes" : "no",
		 km->schema.scope_binding ? "yes" : "no");
	am_server_set_km (server, km);
	for (guint i = 0; km_components[i] != NULL; i++) {
		gpointer state = km_components[i]->start (km, error);

		if (state == NULL) {
			g_prefix_error (error, "%s: ", km_components[i]->name);
			am_server_set_km (server, NULL);
			return NULL;
		}
		g_ptr_array_add (km->components, state);
	}
	return g_steal_pointer (&km);
}

static void
km_stop (gpointer state)
{
	AmKm *km = state;

	if (km->server != NULL && am_server_get_km (km->server) == km)
		am_server_set_km (km->server, NULL);
	am_km_free (km);
}

static const char *const km_profiles[] = { "api-key-manager", NULL };

const AmModule am_keymanager_module = {
	.name = "keymanager",
	.profiles = km_profiles,
	.directives = km_directives,
	.conf_size = sizeof (AmKmConf),
	.start = km_start,
	.stop = km_stop,
};
