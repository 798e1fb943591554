/* SPDX-License-Identifier: Apache-2.0 */
/* The core's typed configuration (carbon.xml, catalina-server.xml, axis2.xml,
 * user-mgt.xml, master-datasources.xml, registry.xml and the port-related
 * parts of api-manager.xml) and the computed port table. */
#pragma once

#include "am-conf-t.h"
#include "am-datasource-t.h"

typedef struct {
	int port;	    /* @port */
	int proxy_port;	    /* @proxyPort, 0 if unset */
	gboolean ssl;	    /* @SSLEnabled */
	char *scheme;	    /* @scheme */
	char *address;	    /* @address: bind address, NULL = all interfaces */
	char *protocol;	    /* @protocol (informative) */
} AmConnectorConf;

typedef struct {
	char *name;	    /* @name */
	int port;	    /* parameter[@name='port'] */
	char *bind_address; /* parameter[@name='bind-address'] */
} AmTransportConf;

typedef struct {
	char *name;	   /* dbConfig/@name */
	char *datasource; /* dbConfig/dataSource */
} AmRegistryDbConf;

typedef struct {
	char *id;	 /* remoteInstance/id */
	char *db_config; /* remoteInstance/dbConfig */
} AmRegistryInstanceConf;

typedef struct {
	char *path;	   /* mount/@path */
	char *instance_id; /* mount/instanceId */
} AmRegistryMountConf;

typedef struct {
	/* carbon.xml */
	char *server_name;	/* Name */
	char *server_version;	/* Version */
	char *host_name;	/* HostName */
	char *mgt_host_name;	/* MgtHostName */
	char *web_context_root; /* WebContextRoot */
	int port_offset;	/* Ports/Offset (before -DportOffset) */
	char *keystore_location;
	int keystore_type; /* AmKeystoreType */
	char *keystore_password;
	char *keystore_key_alias;
	char *keystore_key_password;
	char *truststore_location;
	int truststore_type;
	char *truststore_password;

	/* tomcat/catalina-server.xml */
	GPtrArray *connectors; /* of AmConnectorConf */
	/* axis2/axis2.xml */
	GPtrArray *transports; /* of AmTransportConf */

	/* user-mgt.xml */
	gboolean add_admin;
	char *admin_role;
	char *admin_user;
	char *admin_password;
	char *everyone_role;
	char *um_datasource;	/* Configuration/Property[@name='dataSource'] */
	char *um_class;		/* UserStoreManager/@class */
	char *password_digest;	/* PasswordDigest: SHA-256, PLAIN_TEXT, ... */
	gboolean store_salted_password;
	gboolean case_insensitive_username;
	char *username_regex;
	char *password_regex;

	/* datasources/master-datasources.xml */
	GPtrArray *datasources; /* of AmDatasourceConf */

	/* registry.xml */
	char *registry_db_config;      /* currentDBConfig */
	GPtrArray *registry_dbs;       /* of AmRegistryDbConf */
	GPtrArray *registry_instances; /* of AmRegistryInstanceConf */
	GPtrArray *registry_mounts;    /* of AmRegistryMountConf */

	/* api-manager.xml: what the core needs to know */
	char *am_datasource;	 /* DataSourceName */
	int thrift_server_port;	 /* APIKeyValidator/ThriftServerPort, 0 = default */
	int thrift_client_port;	 /* APIKeyValidator/ThriftClientPort, 0 = default */
} AmCoreConf;

/* Every port the server opens or advertises, computed in one place
 * (am-ports.c) from the legacy defaults and the port offset. */
typedef struct {
	int offset;	      /* -DportOffset, else carbon.xml Ports/Offset */
	int mgt_http;	      /* catalina HTTP connector port + offset (9763) */
	int mgt_https;	      /* catalina HTTPS connector port + offset (9443) */
	int mgt_http_proxy;   /* proxyPort of the HTTP connector, or mgt_http */
	int mgt_https_proxy;  /* proxyPort of the HTTPS connector, or mgt_https */
	int nio_http;	      /* axis2 http transport port + offset (8280) */
	int nio_https;	      /* axis2 https transport port + offset (8243) */
	int thrift_server;    /* ThriftServerPort if set, else 10397 + offset */
	int thrift_client;    /* ThriftClientPort if set, else 10397 + offset */
	int tm_receiver;      /* 9611 + offset */
	int tm_auth;	      /* 9711 + offset */
	int jms;	      /* 5672 + offset */
} AmPorts;

extern const AmConfDirective am_core_directives[];

/* The registry datasource holding @path's subtree ("/_system/governance"
 * follows a mount when registry.xml has one), as a JNDI name. */
const char *am_core_conf_registry_datasource (const AmCoreConf *core, const char *path);
/* The datasource with JNDI name (or datasource name) @name, or NULL. */
const AmDatasourceConf *am_core_conf_find_datasource (const AmCoreConf *core, const char *name);

/* Cross-field checks of the core settings (datasources named by user-mgt.xml,
 * registry.xml and api-manager.xml exist, regexes compile, ...). */
void am_core_conf_check (const AmCoreConf *core, GPtrArray *errors);

/* am-ports.c */
gboolean am_ports_compute (const AmCoreConf *core, GHashTable *sysprops, AmPorts *ports,
			   GPtrArray *errors);
