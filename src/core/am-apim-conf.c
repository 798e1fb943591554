/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Directive table of the shared api-manager.xml settings.
 *
 * Defaults are WSO2 API-M 2.x *code* defaults, i.e. what applies when an
 * element is absent (a commented element in the shipped file): for example
 * KeyValidatorClientType falls back to WSClient, ThriftClientConnectionTimeOut
 * to 10000 ms, TokenCacheExpiry to 900 s, JWTHeader to X-JWT-Assertion,
 * RemoveOAuthHeadersFromOutMessage to true.  Switches WSO2 reads with
 * Boolean.parseBoolean (EnableThriftServer, CORSConfiguration/Enabled,
 * EnableAdvanceThrottling) are false when absent, as in Java.
 */
#define G_LOG_DOMAIN "am.conf"
#include "config.h"

#include "am-apim-conf.h"

#include <string.h>

#define F AM_CONF_FILE_API_MANAGER
#define R AM_CONF_RELOADABLE
#define S AM_CONF_SECRET
#define D(path, type, field, def, flags) \
	{ F, path, type, G_STRUCT_OFFSET (AmApimConf, field), def, flags, 0, 0, NULL }
#define DI(path, field, def, flags, lo, hi) \
	{ F, path, AM_CONF_INT, G_STRUCT_OFFSET (AmApimConf, field), def, flags, lo, hi, NULL }
#define DE(path, field, def, flags, values) \
	{ F, path, AM_CONF_ENUM, G_STRUCT_OFFSET (AmApimConf, field), def, flags, 0, 0, values }

const AmConfEnum am_environment_types[] = {
	{ "hybrid", AM_ENV_HYBRID },
	{ "production", AM_ENV_PRODUCTION },
	{ "sandbox", AM_ENV_SANDBOX },
	{ NULL, 0 },
};

static const AmConfEnum kv_client_types[] = {
	{ "ThriftClient", AM_KV_CLIENT_THRIFT },
	{ "WSClient", AM_KV_CLIENT_WS },
	{ NULL, 0 },
};

static const AmConfEnum jwt_signatures[] = {
	{ "SHA256withRSA", AM_JWT_SHA256_WITH_RSA },
	{ "NONE", AM_JWT_NONE },
	{ NULL, 0 },
};

#define E(path, type, field, def, flags) \
	{ 0, path, type, G_STRUCT_OFFSET (AmEnvironmentConf, field), def, flags, 0, 0, NULL }

static const AmConfDirective environment_directives[] = {
	{ 0, "@type", AM_CONF_ENUM, G_STRUCT_OFFSET (AmEnvironmentConf, type), "hybrid", 0, 0, 0,
	  am_environment_types },
	E ("@api-console", AM_CONF_BOOL, api_console, "true", 0),
	E ("Name", AM_CONF_STR, name, NULL, AM_CONF_REQUIRED),
	E ("Description", AM_CONF_STR, description, NULL, 0),
	E ("ServerURL", AM_CONF_URL, server_url, NULL, 0),
	E ("Username", AM_CONF_STR, username, NULL, 0),
	E ("Password", AM_CONF_STR, password, NULL, S),
	E ("GatewayEndpoint", AM_CONF_STRV, gateway_endpoints, NULL, 0),
	E ("GatewayWSEndpoint", AM_CONF_STR, ws_endpoint, NULL, 0),
	{ 0 },
};

static const AmConfListSpec environment_list = {
	sizeof (AmEnvironmentConf), environment_directives, "Name"
};

const AmConfDirective am_apim_directives[] = {
	D ("DataSourceName", AM_CONF_STR, datasource, "jdbc/WSO2AM_DB", 0),
	D ("EnableSecureVault", AM_CONF_BOOL, secure_vault, "false", 0),

	D ("AuthManager/ServerURL", AM_CONF_URL, auth_server_url, NULL, 0),
	D ("AuthManager/Username", AM_CONF_STR, auth_username, NULL, 0),
	D ("AuthManager/Password", AM_CONF_STR, auth_password, NULL, S),

	D ("JWTConfiguration/EnableJWTGeneration", AM_CONF_BOOL, jwt_enabled, "false", 0),
	D ("JWTConfiguration/JWTHeader", AM_CONF_STR, jwt_header, "X-JWT-Assertion", R),
	D ("JWTConfiguration/ConsumerDialectURI", AM_CONF_STR, jwt_dialect, "http://wso2.org/claims",
	   R),
	DE ("JWTConfiguration/SignatureAlgorithm", jwt_signature, "SHA256withRSA", R,
	    jwt_signatures),
	D ("JWTConfiguration/JWTGeneratorImpl", AM_CONF_STR, jwt_generator,
	   "org.wso2.carbon.apimgt.keymgt.token.JWTGenerator", R),

	{ F, "APIGateway/Environments/Environment", AM_CONF_LIST,
	  G_STRUCT_OFFSET (AmApimConf, environments), NULL, R, 0, 0, &environment_list },

	D ("CacheConfigurations/EnableGatewayTokenCache", AM_CONF_BOOL, gw_token_cache, "true", R),
	D ("CacheConfigurations/EnableGatewayResourceCache", AM_CONF_BOOL, gw_resource_cache,
	   "true", R),
	D ("CacheConfigurations/EnableKeyManagerTokenCache", AM_CONF_BOOL, km_token_cache, "false",
	   R),
	DI ("CacheConfigurations/TokenCacheExpiry", token_cache_expiry, "900", R, 1, 31536000),
	DI ("CacheConfigurations/JWTClaimCacheExpiry", jwt_claim_cache_expiry, "900", R, 1,
	    31536000),

	D ("APIKeyValidator/ServerURL", AM_CONF_URL, kv_server_url, NULL, 0),
	D ("APIKeyValidator/Username", AM_CONF_STR, kv_username, NULL, 0),
	D ("APIKeyValidator/Password", AM_CONF_STR, kv_password, NULL, S),
	DE ("APIKeyValidator/KeyValidatorClientType", kv_client_type, "WSClient", 0,
	    kv_client_types),
	DI ("APIKeyValidator/ThriftClientConnectionTimeOut", kv_timeout_ms, "10000", R, 1,
	    3600000),
	D ("APIKeyValidator/EnableThriftServer", AM_CONF_BOOL, thrift_server_enabled, "false", 0),
	D ("APIKeyValidator/ThriftServerHost", AM_CONF_STR, thrift_server_host, NULL, 0),
	DI ("APIKeyValidator/JWTExpiryTime", jwt_expiry_time, "900", R, 1, 31536000),

	D ("OAuthConfigurations/RemoveOAuthHeadersFromOutMessage", AM_CONF_BOOL,
	   remove_oauth_headers, "true", R),
	D ("OAuthConfigurations/ApplicationTokenScope", AM_CONF_STR, application_token_scope,
	   "am_application_scope", R),
	D ("OAuthConfigurations/TokenEndPointName", AM_CONF_STR, token_endpoint_name,
	   "/oauth2/token", 0),
	D ("OAuthConfigurations/RevokeAPIURL", AM_CONF_URL, revoke_api_url, NULL, R),
	D ("OAuthConfigurations/EncryptPersistedTokens", AM_CONF_BOOL, encrypt_persisted_tokens,
	   "false", 0),
	D ("OAuthConfigurations/EnableTokenHashMode", AM_CONF_BOOL, token_hash_mode, "false", 0),
	D ("OAuthConfigurations/AuthorizationHeader", AM_CONF_STR, authorization_header,
	   "Authorization", R),

	D ("TierManagement/EnableUnlimitedTier", AM_CONF_BOOL, unlimited_tier, "true", R),

	D ("CORSConfiguration/Enabled", AM_CONF_BOOL, cors_enabled, "false", R),
	D ("CORSConfiguration/Access-Control-Allow-Origin", AM_CONF_STRV, cors_origins, "*", R),
	D ("CORSConfiguration/Access-Control-Allow-Methods", AM_CONF_STRV, cors_methods,
	   "GET,PUT,POST,DELETE,PATCH,OPTIONS", R),
	D ("CORSConfiguration/Access-Control-Allow-Headers", AM_CONF_STRV, cors_headers,
	   "authorization,Access-Control-Allow-Origin,Content-Type,SOAPAction", R),
	D ("CORSConfiguration/Access-Control-Allow-Credentials", AM_CONF_BOOL, cors_credentials,
	   "false", R),

	D ("ThrottlingConfigurations/EnableAdvanceThrottling", AM_CONF_BOOL, advanced_throttling,
	   "false", 0),
	D ("ThrottlingConfigurations/TrafficManager/ReceiverUrlGroup", AM_CONF_STR,
	   tm_receiver_url_group, "tcp://localhost:${receiver.url.port}", 0),
	D ("ThrottlingConfigurations/TrafficManager/AuthUrlGroup", AM_CONF_STR, tm_auth_url_group,
	   "ssl://localhost:${auth.url.port}", 0),
	{ 0 },
};

const AmEnvironmentConf *
am_apim_conf_find_environment (const AmApimConf *apim, const char *name)
{
	for (guint i = 0; apim->environments != NULL && i < apim->environments->len; i++) {
		const AmEnvironmentConf *env = apim->environments->pdata[i];
		if (g_strcmp0 (env->name, name) == 0)
			return env;
	}
	return NULL;
}

void
am_apim_conf_check (const AmApimConf *apim, GPtrArray *errors)
{
	const char *file = "repository/conf/api-manager.xml";

	for (guint i = 0; apim->environments != NULL && i < apim->environments->len; i++) {
		const AmEnvironmentConf *env = apim->environments->pdata[i];
		if (env->name == NULL)
			continue;
		/* WSO2 logs duplicates as an error and keeps the first */
		for (guint j = 0; j < i; j++) {
			const AmEnvironmentConf *prev = apim->environments->pdata[j];
			if (g_strcmp0 (prev->name, env->name) == 0)
				g_ptr_array_add (errors,
						 g_strdup_printf ("%s: APIGateway/Environments/"
								  "Environment[%u]/Name: duplicate "
								  "environment name '%s'",
								  file, i + 1, env->name));
		}
	}
}
