/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The api-manager.xml settings that several components share (key
 * validation, environments, caches, OAuth, JWT, CORS, throttling switches).
 * What only one component reads stays in that component's own table.
 */
#pragma once

#include "am-conf-t.h"

typedef enum {
	AM_ENV_HYBRID,
	AM_ENV_PRODUCTION,
	AM_ENV_SANDBOX,
} AmEnvironmentType;

typedef enum {
	AM_KV_CLIENT_THRIFT,
	AM_KV_CLIENT_WS,
} AmKvClientType;

typedef enum {
	AM_JWT_SHA256_WITH_RSA,
	AM_JWT_NONE,
} AmJwtSignature;

/* APIGateway/Environments/Environment */
typedef struct {
	int type;		/* @type: AmEnvironmentType */
	gboolean api_console;	/* @api-console */
	char *name;		/* Name (unique, required) */
	char *description;	/* Description */
	char *server_url;	/* ServerURL: the gateway's admin services */
	char *username;		/* Username */
	char *password;		/* Password (secret) */
	char **gateway_endpoints; /* GatewayEndpoint: http and https base URLs */
	char *ws_endpoint;	/* GatewayWSEndpoint */
} AmEnvironmentConf;

typedef struct {
	char *datasource;		/* DataSourceName */
	gboolean secure_vault;		/* EnableSecureVault */

	char *auth_server_url;		/* AuthManager/ServerURL */
	char *auth_username;
	char *auth_password;

	gboolean jwt_enabled;		/* JWTConfiguration/EnableJWTGeneration */
	char *jwt_header;		/* JWTConfiguration/JWTHeader */
	char *jwt_dialect;		/* JWTConfiguration/ConsumerDialectURI */
	int jwt_signature;		/* JWTConfiguration/SignatureAlgorithm */
	char *jwt_generator;		/* JWTConfiguration/JWTGeneratorImpl */

	GPtrArray *environments;	/* of AmEnvironmentConf */

	gboolean gw_token_cache;	/* CacheConfigurations/EnableGatewayTokenCache */
	gboolean gw_resource_cache;	/* CacheConfigurations/EnableGatewayResourceCache */
	gboolean km_token_cache;	/* CacheConfigurations/EnableKeyManagerTokenCache */
	int token_cache_expiry;		/* CacheConfigurations/TokenCacheExpiry (s) */
	int jwt_claim_cache_expiry;	/* CacheConfigurations/JWTClaimCacheExpiry (s) */

	char *kv_server_url;		/* APIKeyValidator/ServerURL */
	char *kv_username;
	char *kv_password;
	int kv_client_type;		/* APIKeyValidator/KeyValidatorClientType */
	int kv_timeout_ms;		/* APIKeyValidator/ThriftClientConnectionTimeOut */
	gboolean thrift_server_enabled;	/* APIKeyValidator/EnableThriftServer */
	char *thrift_server_host;	/* APIKeyValidator/ThriftServerHost */
	int jwt_expiry_time;		/* APIKeyValidator/JWTExpiryTime (s) */

	gboolean remove_oauth_headers;	/* OAuthConfigurations/RemoveOAuthHeadersFromOutMessage */
	char *application_token_scope;	/* OAuthConfigurations/ApplicationTokenScope */
	char *token_endpoint_name;	/* OAuthConfigurations/TokenEndPointName */
	char *revoke_api_url;		/* OAuthConfigurations/RevokeAPIURL */
	gboolean encrypt_persisted_tokens; /* OAuthConfigurations/EncryptPersistedTokens */
	gboolean token_hash_mode;	/* OAuthConfigurations/EnableTokenHashMode */
	char *authorization_header;	/* OAuthConfigurations/AuthorizationHeader */

	gboolean unlimited_tier;	/* TierManagement/EnableUnlimitedTier */

	gboolean cors_enabled;		/* CORSConfiguration/Enabled */
	char **cors_origins;		/* CORSConfiguration/Access-Control-Allow-Origin */
	char **cors_methods;		/* CORSConfiguration/Access-Control-Allow-Methods */
	char **cors_headers;		/* CORSConfiguration/Access-Control-Allow-Headers */
	gboolean cors_credentials;	/* CORSConfiguration/Access-Control-Allow-Credentials */

	gboolean advanced_throttling;	/* ThrottlingConfigurations/EnableAdvanceThrottling */
	char *tm_receiver_url_group;	/* ThrottlingConfigurations/TrafficManager/ReceiverUrlGroup */
	char *tm_auth_url_group;	/* ThrottlingConfigurations/TrafficManager/AuthUrlGroup */
} AmApimConf;

extern const AmConfDirective am_apim_directives[];
extern const AmConfEnum am_environment_types[];

/* Cross-field checks (unique environment names, ...). */
void am_apim_conf_check (const AmApimConf *apim, GPtrArray *errors);
/* The environment named @name, or NULL. */
const AmEnvironmentConf *am_apim_conf_find_environment (const AmApimConf *apim, const char *name);
