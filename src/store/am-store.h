/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Store (module "store", profiles api-store / api-devportal and
 * default): the API-M 2.x Store REST API /api/am/store/v0.11 on the
 * management server and Carbon's UserRegistrationAdminService for the
 * Store's self sign-up.
 *
 *   am-store-json.c    the REST objects as the 2.x Store writes them (APIInfo,
 *                      API with endpointURLs, Application, ApplicationKey)
 *                      and the visibility rules; Subscription and Tier are
 *                      am-apimgt-json.c's
 *   am-store-rest.c    the route table and its handlers
 *   am-store-signup.c  /services/UserRegistrationAdminService (addUser,
 *                      isUserExist, isAddUserEnabled)
 *   am-store-module.c  the module: configuration, start, stop
 */
#pragma once

#include <json-glib/json-glib.h>

#include "am-api.h"
#include "am-apim-conf.h"
#include "am-apimgt-json.h"
#include "am-consumer.h"
#include "am-km.h"
#include "am-mgmt.h"
#include "am-rest.h"
#include "am-soap.h"
#include "am-tiers.h"
#include "am-userstore.h"

#define AM_STORE_BASE_PATH "/api/am/store/v0.11"

/* api-manager.xml settings only the Store reads. */
typedef struct {
	gboolean display_all_apis;	/* APIStore/DisplayAllAPIs: DEPRECATED APIs listed too */
} AmStoreConf;

/* What the handlers share (immutable after start). */
typedef struct {
	AmKm *km;
	AmDb *am_db;		  /* WSO2AM_DB (the Key Manager's) */
	AmDb *reg_db;		  /* the governance registry's datasource (may be am_db) */
	AmUserStore *us;
	const AmApimConf *apim;	  /* api-manager.xml as of start */
	AmStoreConf conf;
} AmStoreCtx;

/* ---- JSON (am-store-json.c): pure ---- */

/* Whether @status is one the Store shows (PUBLISHED, PROTOTYPED, and
 * DEPRECATED when @display_all), as APIConsumerImpl searches them. */
gboolean am_store_status_listed (const char *status, gboolean display_all);
/* Whether GET /apis/{id} serves an API of @status (PUBLISHED, PROTOTYPED,
 * DEPRECATED), else WSO2 answers 403. */
gboolean am_store_status_readable (const char *status);
/* Whether @api's visibility lets a caller see it: public (and controlled)
 * to everyone, private to users of the tenant, restricted to users with
 * one of visibleRoles (compared without case, as Carbon's registry
 * authorization does).  @user NULL = anonymous; @roles the user's roles. */
gboolean am_store_api_visible (const AmApi *api, const char *user, const char *const *roles);

/* APIInfo {id, name, description, context, version, provider, status}. */
JsonNode *am_store_api_info_json (const AmApi *api);
/* The Store's API object; @apim names the environments for endpointURLs. */
JsonNode *am_store_api_json (const AmApi *api, const AmApimConf *apim);
/* endpointURLs: one item per environment of @api known to @apim, in the
 * API's order: {environmentName, environmentType, environmentURLs {http,
 * https}}, each URL = GatewayEndpoint + context, http only when the API
 * has the http transport, https likewise. */
JsonNode *am_store_endpoint_urls_json (const AmApi *api, const AmApimConf *apim);

/* ApplicationInfo (@keys NULL and @info) or Application with keys[]. */
JsonNode *am_store_application_json (const AmApplication *app, GPtrArray *keys, gboolean info);
/* ApplicationKey {consumerKey, consumerSecret, supportedGrantTypes,
 * keyState, keyType, token {accessToken, tokenScopes, validityTime}}. */
JsonNode *am_store_app_key_json (const AmAppKey *key);
/* Subscription and Tier: am_apimgt_subscription_json, am_apimgt_tier_json
 * (AM_APIMGT_STORE: no timeUnit). */

/* An ApplicationKeyGenerateRequest; the strings point into @body. */
typedef struct {
	AmKeyRequest req;
	GPtrArray *scopes;	    /* const char*, NULL-terminated */
	GPtrArray *domains;
	GPtrArray *grant_types;
} AmStoreKeyRequest;

void am_store_key_request_clear (AmStoreKeyRequest *r);
/* Fill @r from @body: keyType, validityTime (string or number, seconds,
 * -1 never), accessAllowDomains and validityTime required; 400 items for
 * each missing or malformed property (AM_REST_ERROR_BAD_REQUEST). */
gboolean am_store_key_request_parse (JsonNode *body, AmStoreKeyRequest *r, AmRestCall *call,
				     GError **error);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AmStoreKeyRequest, am_store_key_request_clear)

/* ---- REST (am-store-rest.c) ---- */

extern const AmRestRoute am_store_routes[];

/* ---- sign-up (am-store-signup.c) ---- */

typedef struct _AmStoreSignup AmStoreSignup;

/* Serve /services/UserRegistrationAdminService on @mgmt (anonymous, https). */
AmStoreSignup *am_store_signup_new (AmMgmt *mgmt, AmStoreCtx *ctx);
void am_store_signup_free (AmStoreSignup *s);
/* The SOAP call itself (exposed for tests): the reply to @body.  Blocks. */
/* Whether self sign-up is on: EnableSignup of the tenant's
 * /_system/governance/apimgt/applicationdata/sign-up-config.xml, true when
 * there is none (the default-sign-up-config.xml 2.x ships).  Blocks. */
gboolean am_store_signup_enabled (AmStoreCtx *ctx, GError **error);
AmSoapReply *am_store_signup_handle (AmStoreCtx *ctx, const char *content_type,
				       const char *body, gsize len);
