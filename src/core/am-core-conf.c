/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Directive tables of the core: carbon.xml, tomcat/catalina-server.xml,
 * axis2/axis2.xml, user-mgt.xml, datasources/master-datasources.xml and
 * registry.xml, with the defaults of Carbon 4.4 / API-M 2.x.  Also the
 * cross-file checks (every JNDI name referenced exists) and the registry
 * mount resolution (which datasource holds /_system/governance).
 */
#define G_LOG_DOMAIN "am.conf"
#include "config.h"

#include "am-core-conf.h"

#include "am-keystore.h"

#define C(file, path, type, field, def, flags) \
	{ file, path, type, G_STRUCT_OFFSET (AmCoreConf, field), def, flags, 0, 0, NULL }
#define S AM_CONF_SECRET

static const AmConfEnum keystore_types[] = {
	{ "JKS", AM_KEYSTORE_JKS },
	{ "PKCS12", AM_KEYSTORE_PKCS12 },
	{ "P12", AM_KEYSTORE_PKCS12 },
	{ "PEM", AM_KEYSTORE_PEM },
	{ NULL, 0 },
};

/* catalina-server.xml Service/Connector */
#define K(path, type, field, def) \
	{ 0, path, type, G_STRUCT_OFFSET (AmConnectorConf, field), def, 0, 0, 0, NULL }
static const AmConfDirective connector_directives[] = {
	K ("@port", AM_CONF_PORT, port, NULL),
	K ("@proxyPort", AM_CONF_PORT, proxy_port, NULL),
	K ("@SSLEnabled", AM_CONF_BOOL, ssl, "false"),
	K ("@scheme", AM_CONF_STR, scheme, "http"),
	K ("@address", AM_CONF_STR, address, NULL),
	K ("@protocol", AM_CONF_STR, protocol, NULL),
	{ 0 },
};
static const AmConfListSpec connector_list = { sizeof (AmConnectorConf), connector_directives,
					       "@port" };

/* axis2.xml transportReceiver */
#define T(path, type, field, def) \
	{ 0, path, type, G_STRUCT_OFFSET (AmTransportConf, field), def, 0, 0, 0, NULL }
static const AmConfDirective transport_directives[] = {
	T ("@name", AM_CONF_STR, name, NULL),
	T ("parameter[@name='port']", AM_CONF_PORT, port, NULL),
	T ("parameter[@name='bind-address']", AM_CONF_STR, bind_address, NULL),
	{ 0 },
};
static const AmConfListSpec transport_list = { sizeof (AmTransportConf), transport_directives,
					       "@name" };

/* master-datasources.xml datasources/datasource */
#define DS(path, type, field, def, flags) \
	{ 0, path, type, G_STRUCT_OFFSET (AmDatasourceConf, field), def, flags, 0, 0, NULL }
#define DSI(path, field, def, lo, hi) \
	{ 0, path, AM_CONF_INT, G_STRUCT_OFFSET (AmDatasourceConf, field), def, 0, lo, hi, NULL }
#define CFG "definition/configuration/"
static const AmConfDirective datasource_directives[] = {
	DS ("name", AM_CONF_STR, name, NULL, AM_CONF_REQUIRED),
	DS ("description", AM_CONF_STR, description, NULL, 0),
	DS ("jndiConfig/name", AM_CONF_STR, jndi_name, NULL, 0),
	DS (CFG "url", AM_CONF_STR, url, NULL, AM_CONF_REQUIRED),
	DS (CFG "username", AM_CONF_STR, username, NULL, 0),
	DS (CFG "password", AM_CONF_STR, password, NULL, S),
	DS (CFG "driverClassName", AM_CONF_STR, driver_class, NULL, 0),
	DSI (CFG "maxActive", max_active, "50", 1, 10000),
	DSI (CFG "maxWait", max_wait_ms, "60000", 0, 3600000),
	DS (CFG "testOnBorrow", AM_CONF_BOOL, test_on_borrow, "true", 0),
	DS (CFG "validationQuery", AM_CONF_STR, validation_query, "SELECT 1", 0),
	DSI (CFG "validationInterval", validation_interval_ms, "30000", 0, 86400000),
	DS (CFG "defaultAutoCommit", AM_CONF_BOOL, default_auto_commit, "true", 0),
	{ 0 },
};
static const AmConfListSpec datasource_list = { sizeof (AmDatasourceConf),
						datasource_directives, "name" };

/* registry.xml */
static const AmConfDirective regdb_directives[] = {
	{ 0, "@name", AM_CONF_STR, G_STRUCT_OFFSET (AmRegistryDbConf, name), NULL, AM_CONF_REQUIRED },
	{ 0, "dataSource", AM_CONF_STR, G_STRUCT_OFFSET (AmRegistryDbConf, datasource), NULL,
	  AM_CONF_REQUIRED },
	{ 0 },
};
static const AmConfListSpec regdb_list = { sizeof (AmRegistryDbConf), regdb_directives, "@name" };
static const AmConfDirective reginst_directives[] = {
	{ 0, "id", AM_CONF_STR, G_STRUCT_OFFSET (AmRegistryInstanceConf, id), NULL,
	  AM_CONF_REQUIRED },
	{ 0, "dbConfig", AM_CONF_STR, G_STRUCT_OFFSET (AmRegistryInstanceConf, db_config), NULL,
	  AM_CONF_REQUIRED },
	{ 0 },
};
static const AmConfListSpec reginst_list = { sizeof (AmRegistryInstanceConf), reginst_directives,
					     "id" };
static const AmConfDirective regmount_directives[] = {
	{ 0, "@path", AM_CONF_STR, G_STRUCT_OFFSET (AmRegistryMountConf, path), NULL,
	  AM_CONF_REQUIRED },
	{ 0, "instanceId", AM_CONF_STR, G_STRUCT_OFFSET (AmRegistryMountConf, instance_id), NULL,
	  AM_CONF_REQUIRED },
	{ 0 },
};
static const AmConfListSpec regmount_list = { sizeof (AmRegistryMountConf), regmount_directives,
					      "@path" };

#define L(file, path, field, spec) \
	{ file, path, AM_CONF_LIST, G_STRUCT_OFFSET (AmCoreConf, field), NULL, 0, 0, 0, spec }
#define CARBON AM_CONF_FILE_CARBON
#define UM AM_CONF_FILE_USER_MGT
#define UMP "Realm/UserStoreManager/Property"

const AmConfDirective am_core_directives[] = {
	C (CARBON, "Name", AM_CONF_STR, server_name, "WSO2 API Manager", 0),
	C (CARBON, "Version", AM_CONF_STR, server_version, AM_PRODUCT_VERSION, 0),
	C (CARBON, "HostName", AM_CONF_STR, host_name, NULL, 0),
	C (CARBON, "MgtHostName", AM_CONF_STR, mgt_host_name, NULL, 0),
	C (CARBON, "WebContextRoot", AM_CONF_STR, web_context_root, "/", 0),
	{ CARBON, "Ports/Offset", AM_CONF_INT, G_STRUCT_OFFSET (AmCoreConf, port_offset), "0", 0, 0,
	  10000, NULL },
	C (CARBON, "Security/KeyStore/Location", AM_CONF_STR, keystore_location,
	   "${carbon.home}/repository/resources/security/wso2carbon.jks", 0),
	{ CARBON, "Security/KeyStore/Type", AM_CONF_ENUM, G_STRUCT_OFFSET (AmCoreConf, keystore_type),
	  "JKS", 0, 0, 0, keystore_types },
	C (CARBON, "Security/KeyStore/Password", AM_CONF_STR, keystore_password, "wso2carbon", S),
	C (CARBON, "Security/KeyStore/KeyAlias", AM_CONF_STR, keystore_key_alias, "wso2carbon", 0),
	C (CARBON, "Security/KeyStore/KeyPassword", AM_CONF_STR, keystore_key_password,
	   "wso2carbon", S),
	C (CARBON, "Security/TrustStore/Location", AM_CONF_STR, truststore_location,
	   "${carbon.home}/repository/resources/security/client-truststore.jks", 0),
	{ CARBON, "Security/TrustStore/Type", AM_CONF_ENUM,
	  G_STRUCT_OFFSET (AmCoreConf, truststore_type), "JKS", 0, 0, 0, keystore_types },
	C (CARBON, "Security/TrustStore/Password", AM_CONF_STR, truststore_password, "wso2carbon",
	   S),

	L (AM_CONF_FILE_CATALINA, "Service/Connector", connectors, &connector_list),
	L (AM_CONF_FILE_AXIS2, "transportReceiver", transports, &transport_list),

	C (UM, "Realm/Configuration/AddAdmin", AM_CONF_BOOL, add_admin, "true", 0),
	C (UM, "Realm/Configuration/AdminRole", AM_CONF_STR, admin_role, "admin", 0),
	C (UM, "Realm/Configuration/AdminUser/UserName", AM_CONF_STR, admin_user, "admin", 0),
	C (UM, "Realm/Configuration/AdminUser/Password", AM_CONF_STR, admin_password, "admin", S),
	C (UM, "Realm/Configuration/EveryOneRoleName", AM_CONF_STR, everyone_role, "everyone", 0),
	C (UM, "Realm/Configuration/Property[@name='dataSource']", AM_CONF_STR, um_datasource,
	   "jdbc/WSO2CarbonDB", 0),
	C (UM, "Realm/UserStoreManager/@class", AM_CONF_STR, um_class,
	   "org.wso2.carbon.user.core.jdbc.JDBCUserStoreManager", 0),
	C (UM, UMP "[@name='PasswordDigest']", AM_CONF_STR, password_digest, "SHA-256", 0),
	C (UM, UMP "[@name='StoreSaltedPassword']", AM_CONF_BOOL, store_salted_password, "true", 0),
	C (UM, UMP "[@name='CaseInsensitiveUsername']", AM_CONF_BOOL, case_insensitive_username,
	   "true", 0),
	C (UM, UMP "[@name='UsernameJavaRegEx']", AM_CONF_STR, username_regex, "^[\\S]{3,30}$",
	   AM_CONF_RELOADABLE),
	C (UM, UMP "[@name='PasswordJavaRegEx']", AM_CONF_STR, password_regex, "^[\\S]{5,30}$",
	   AM_CONF_RELOADABLE),

	L (AM_CONF_FILE_DATASOURCES, "datasources/datasource", datasources, &datasource_list),

	C (AM_CONF_FILE_REGISTRY, "currentDBConfig", AM_CONF_STR, registry_db_config,
	   "wso2registry", 0),
	L (AM_CONF_FILE_REGISTRY, "dbConfig", registry_dbs, &regdb_list),
	L (AM_CONF_FILE_REGISTRY, "remoteInstance", registry_instances, &reginst_list),
	L (AM_CONF_FILE_REGISTRY, "mount", registry_mounts, &regmount_list),

	C (AM_CONF_FILE_API_MANAGER, "DataSourceName", AM_CONF_STR, am_datasource,
	   "jdbc/WSO2AM_DB", 0),
	{ AM_CONF_FILE_API_MANAGER, "APIKeyValidator/ThriftServerPort", AM_CONF_PORT,
	  G_STRUCT_OFFSET (AmCoreConf, thrift_server_port), NULL, 0, 0, 0, NULL },
	{ AM_CONF_FILE_API_MANAGER, "APIKeyValidator/ThriftClientPort", AM_CONF_PORT,
	  G_STRUCT_OFFSET (AmCoreConf, thrift_client_port), NULL, 0, 0, 0, NULL },
	{ 0 },
};

const AmDatasourceConf *
am_core_conf_find_datasource (const AmCoreConf *core, const char *name)
{
	for (guint i = 0; core->datasources != NULL && i < core->datasources->len; i++) {
		const AmDatasourceConf *ds = core->datasources->pdata[i];
		if (g_strcmp0 (ds->jndi_name, name) == 0 || g_strcmp0 (ds->name, name) == 0)
			return ds;
	}
	return NULL;
}

static const char *
registry_db_datasource (const AmCoreConf *core, const char *db_config)
{
	for (guint i = 0; core->registry_dbs != NULL && i < core->registry_dbs->len; i++) {
		const AmRegistryDbConf *db = core->registry_dbs->pdata[i];
		if (g_strcmp0 (db->name, db_config) == 0)
			return db->datasource;
	}
	return NULL;
}

const char *
am_core_conf_registry_datasource (const AmCoreConf *core, const char *path)
{
	/* the longest mount whose path is a prefix of @path decides */
	const AmRegistryMountConf *best = NULL;

	for (guint i = 0; core->registry_mounts != NULL && i < core->registry_mounts->len; i++) {
		const AmRegistryMountConf *m = core->registry_mounts->pdata[i];
		if (path != NULL && g_str_has_prefix (path, m->path) &&
		    (best == NULL || strlen (m->path) > strlen (best->path)))
			best = m;
	}
	for (guint i = 0; best != NULL && core->registry_instances != NULL &&
			  i < core->registry_instances->len;
	     i++) {
		const AmRegistryInstanceConf *ri = core->registry_instances->pdata[i];
		if (g_strcmp0 (ri->id, best->instance_id) == 0)
			return registry_db_datasource (core, ri->db_config);
	}
	return registry_db_datasource (core, core->registry_db_config);
}

static void
check_ref (const AmCoreConf *core, GPtrArray *errors, const char *file, const char *path,
	   const char *jndi)
{
	if (jndi != NULL && am_core_conf_find_datasource (core, jndi) == NULL)
		g_ptr_array_add (errors,
				 g_strdup_printf ("%s: %s: no datasource named '%s' in "
						  "repository/conf/datasources/master-datasources.xml",
						  file, path, jndi));
}

static void
check_regex (GPtrArray *errors, const char *path, const char *re)
{
	g_autoptr (GRegex) regex = NULL;
	g_autoptr (GError) local = NULL;

	if (re == NULL)
		return;
	regex = g_regex_new (re, 0, 0, &local);
	if (regex == NULL)
		g_ptr_array_add (errors, g_strdup_printf ("repository/conf/user-mgt.xml: %s: "
							  "invalid regular expression: %s",
							  path, local->message));
}

void
am_core_conf_check (const AmCoreConf *core, GPtrArray *errors)
{
	const char *mount_ds;

	for (guint i = 0; core->datasources != NULL && i < core->datasources->len; i++) {
		const AmDatasourceConf *a = core->datasources->pdata[i];
		for (guint j = 0; j < i; j++) {
			const AmDatasourceConf *b = core->datasources->pdata[j];
			if (g_strcmp0 (a->name, b->name) == 0 ||
			    (a->jndi_name != NULL && g_strcmp0 (a->jndi_name, b->jndi_name) == 0))
				g_ptr_array_add (errors,
						 g_strdup_printf ("repository/conf/datasources/"
								  "master-datasources.xml: datasource "
								  "'%s': duplicate name",
								  a->name));
		}
	}
	check_ref (core, errors, "repository/conf/user-mgt.xml",
		   "Realm/Configuration/Property[@name='dataSource']", core->um_datasource);
	if (registry_db_datasource (core, core->registry_db_config) == NULL)
		g_ptr_array_add (errors, g_strdup_printf ("repository/conf/registry.xml: "
							  "currentDBConfig: no dbConfig named '%s'",
							  core->registry_db_config));
	check_ref (core, errors, "repository/conf/registry.xml", "dbConfig/dataSource",
		   registry_db_datasource (core, core->registry_db_config));
	mount_ds = am_core_conf_registry_datasource (core, "/_system/governance");
	if (mount_ds != registry_db_datasource (core, core->registry_db_config))
		check_ref (core, errors, "repository/conf/registry.xml", "mount", mount_ds);
	check_regex (errors, UMP "[@name='UsernameJavaRegEx']", core->username_regex);
	check_regex (errors, UMP "[@name='PasswordJavaRegEx']", core->password_regex);
	if (g_strcmp0 (core->password_digest, "SHA-256") != 0 &&
	    g_strcmp0 (core->password_digest, "PLAIN_TEXT") != 0 &&
	    g_strcmp0 (core->password_digest, "SHA-1") != 0 &&
	    g_strcmp0 (core->password_digest, "MD5") != 0 &&
	    g_strcmp0 (core->password_digest, "SHA-512") != 0)
		g_ptr_array_add (errors, g_strdup_printf ("repository/conf/user-mgt.xml: "
							  UMP "[@name='PasswordDigest']: "
							  "unsupported digest '%s' (SHA-256, "
							  "SHA-1, SHA-512, MD5 or PLAIN_TEXT)",
							  core->password_digest));
}
