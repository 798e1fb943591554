/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API as the Publisher and the Store see it: one WSO2 API-M 2.x API
 * (registry governance artifact + swagger + AM_API rows), independent of
 * where it is stored (am-api-store) and of its REST (JSON) and synapse
 * (gateway XML) renderings.  Plain owned data: every string and vector is
 * owned by the struct and freed by am_api_free().
 *
 * Value conventions are WSO2's storage ones, so a registry/AM_API round
 * trip is lossless:
 *   - status upper case as in AM_API/overview_status: CREATED, PROTOTYPED,
 *     PUBLISHED, BLOCKED, DEPRECATED, RETIRED;
 *   - visibility lower case as in the registry: public, private,
 *     restricted, controlled;
 *   - context WITH the version ("/pizzashack/1.0.0", AM_API.CONTEXT,
 *     overview_context) and context_template with "{version}"
 *     ("/pizzashack/{version}", overview_contextTemplate);
 *   - endpoint_config is the JSON text WSO2 stores in
 *     overview_endpointConfig;
 *   - auth types as AM_API_URL_MAPPING.AUTH_SCHEME stores them.
 */
#pragma once

#include <glib.h>

typedef enum {
	AM_API_AUTH_ANY,	      /* "Any" = "Application & Application User" */
	AM_API_AUTH_APPLICATION,      /* "Application" */
	AM_API_AUTH_APPLICATION_USER, /* "Application_User" = "Application User" */
	AM_API_AUTH_NONE,	      /* "None" */
} AmApiAuthType;

/* One resource verb: an AM_API_URL_MAPPING row, a swagger operation. */
typedef struct {
	char *url_pattern;     /* "/menu", "/order/{orderId}", "/\*" (any) */
	char *http_method;     /* upper case: GET, POST, ... */
	AmApiAuthType auth_type;
	char *throttling_tier; /* resource policy, "Unlimited" by default */
	char *scope;	       /* scope key, or NULL */
} AmApiOperation;

/* An API scope (swagger x-wso2-security / IDN_OAUTH2_SCOPE). */
typedef struct {
	char *key;	   /* "read_menu" */
	char *name;	   /* display name */
	char *description;
	char **roles;	   /* NULL-terminated, may be empty */
} AmApiScope;

typedef struct {
	gboolean enabled;
	gboolean allow_credentials;
	char **allow_origins; /* NULL-terminated */
	char **allow_headers;
	char **allow_methods;
} AmApiCors;

typedef struct {
	char *id;	      /* registry UUID of the api artifact (REST apiId) */
	gint64 db_id;	      /* AM_API.API_ID, 0 when not known */
	char *provider;	      /* with "@" (the registry path uses "-AT-") */
	char *name;
	char *version;
	char *context;	      /* with the version, see above */
	char *context_template;
	char *description;
	char *status;
	char *type;	      /* "HTTP" or "WS" */
	char **transports;    /* "http", "https" */
	char **tags;
	char **tiers;	      /* subscription policy names */
	char *api_level_policy;	    /* NULL = none */
	char *visibility;
	char **visible_roles;
	char **visible_tenants;
	char *endpoint_config;	    /* JSON text */
	char *endpoint_security_type; /* NULL, "basic" or "digest" */
	char *endpoint_username;
	char *endpoint_password;
	char **gateway_environments; /* environment names it is (to be) published to */
	gboolean is_default_version;
	char *in_sequence;	     /* mediation sequence names, NULL = none */
	char *out_sequence;
	char *fault_sequence;
	gboolean response_caching;
	int cache_timeout;	     /* seconds, 300 */
	gint64 max_tps_production;   /* hard limits, -1 = none */
	gint64 max_tps_sandbox;
	char *business_owner;
	char *business_owner_email;
	char *technical_owner;
	char *technical_owner_email;
	char *thumbnail_url;
	char *wsdl_url;
	char *subscription_availability; /* current_tenant, all_tenants, specific_tenants */
	char **subscription_available_tenants;
	char *authorization_header;	 /* NULL = "Authorization" */
	AmApiCors cors;
	GPtrArray *operations;	 /* AmApiOperation*, owned */
	GPtrArray *scopes;	 /* AmApiScope*, owned */
	char *swagger;		 /* swagger 2.0 JSON text, or NULL */
	gint64 created_ms;	 /* epoch ms, 0 = unknown */
	gint64 updated_ms;
} AmApi;

/* An empty API with WSO2's defaults: status CREATED, type HTTP, transports
 * http+https, visibility public, cache timeout 300, no hard limits,
 * subscription availability current_tenant. */
AmApi *am_api_new (void);
AmApi *am_api_copy (const AmApi *api);
void am_api_free (AmApi *api);

AmApiOperation *am_api_operation_new (const char *url_pattern, const char *http_method,
				      AmApiAuthType auth_type, const char *throttling_tier,
				      const char *scope);
void am_api_operation_free (AmApiOperation *op);
AmApiScope *am_api_scope_new (const char *key, const char *name, const char *description,
			      const char *const *roles);
void am_api_scope_free (AmApiScope *scope);

/* AM_API_URL_MAPPING.AUTH_SCHEME text ("Any", "Application",
 * "Application_User", "None") and back; the swagger x-auth-type forms
 * ("Application & Application User", "Application User") are accepted by
 * the parser too.  FALSE for anything else. */
const char *am_api_auth_type_to_string (AmApiAuthType type);
const char *am_api_auth_type_to_swagger (AmApiAuthType type);
gboolean am_api_auth_type_from_string (const char *text, AmApiAuthType *type);

/* The registry form of a provider name ("@" -> "-AT-") and back. */
char *am_api_provider_to_registry (const char *provider);
char *am_api_provider_from_registry (const char *registry_provider);

/* "provider-name-version": the REST apiIdentifier form. */
char *am_api_identifier (const AmApi *api);
/* Splits "provider-name-version" on its last two '-' ...; FALSE when it
 * has fewer than three parts. */
gboolean am_api_identifier_parse (const char *identifier, char **provider, char **name,
				  char **version);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmApi, am_api_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmApiOperation, am_api_operation_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmApiScope, am_api_scope_free)
