/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Publisher (module "publisher", profiles api-publisher and default):
 * the API-M 2.x Publisher REST API /api/am/publisher/v0.11 on the
 * management server (wso2-db-rest.md §4.2).
 *
 *   am-pub-json.c    the REST objects as the 2.x Publisher writes and reads
 *                    them (API <-> AmApi, APIInfo, Environment,
 *                    Application) and the failedGateways map; what the
 *                    Store writes alike is in am-apimgt-json.c
 *   am-pub-rest.c    the route table and its handlers; gateway pushes
 *                    through am-pub-gateway.h
 *   am-pub-module.c  the module: configuration, start, stop
 */
#pragma once

#include <json-glib/json-glib.h>

#include "am-api.h"
#include "am-apim-conf.h"
#include "am-apimgt-json.h"
#include "am-consumer.h"
#include "am-keystore.h"
#include "am-km.h"
#include "am-pub-synapse.h"
#include "am-rest.h"
#include "am-tiers.h"
#include "am-userstore.h"

#define AM_PUBLISHER_BASE_PATH "/api/am/publisher/v0.11"

/* api-manager.xml settings only the Publisher reads. */
typedef struct {
	char *extension_handler_position; /* ExtensionHandlerPosition: "top" / "bottom" */
} AmPublisherConf;

/* What the handlers share (immutable after start). */
typedef struct {
	AmKm *km;
	AmDb *am_db;		  /* WSO2AM_DB */
	AmDb *reg_db;		  /* the governance registry's datasource (may be am_db) */
	AmUserStore *us;
	const AmApimConf *apim;	  /* api-manager.xml as of start */
	AmKeystore *truststore;	  /* verifies the gateways' admin services */
	AmPubSynapseOptions synapse; /* environment_type set per environment */
} AmPublisherCtx;

/* ---- JSON (am-pub-json.c): pure ---- */

/* The context as the Publisher shows it: the template without a trailing
 * "/{version}" ("/pizzashack/{version}" -> "/pizzashack"); a "{version}"
 * elsewhere is kept.  From api->context when there is no template. */
char *am_pub_json_context (const AmApi *api);

/* APIInfo {id, name, description, context, version, provider, status}. */
JsonNode *am_pub_api_info_json (const AmApi *api);
/* The API object (members in the DTO's order; see am-pub-json.c). */
JsonNode *am_pub_api_json (const AmApi *api);

/* Fill @api from the API object @body: on create (@api fresh from
 * am_api_new) the required members are checked (name, context, version,
 * tiers, isDefaultVersion, transport, endpointConfig, visibility, type);
 * on update (@api the stored API) members that are absent keep their
 * value.  @apim gives the default gatewayEnvironments (every configured
 * environment) on create.  Every bad member adds an error item to @items
 * (pairs "400_<member>", "<member>: <why>", owned strings; may be NULL) and the
 * result is AM_REST_ERROR_BAD_REQUEST "Validation Error"; an unknown
 * member is 400 "Unrecognized property '<name>'".  apiDefinition, when
 * given, replaces the operations and scopes (am_pub_swagger_apply). */
gboolean am_pub_api_from_json (JsonNode *body, AmApi *api, gboolean create,
			       const AmApimConf *apim, GPtrArray *items, GError **error);

/* Environment {name, type, serverUrl, showInApiConsole, endpoints {http,
 * https}}. */
JsonNode *am_pub_environment_json (const AmEnvironmentConf *env);
/* Tier and Subscription: am_apimgt_tier_json (AM_APIMGT_PUBLISHER),
 * am_apimgt_subscription_json. */
/* Application {applicationId, name, subscriber, throttlingTier,
 * description, groupId}. */
JsonNode *am_pub_application_json (const AmApplication *app);

/* The failures among gateway results, WSO2's FaultGatewaysException map:
 * {"PUBLISHED": {env: reason}, "UNPUBLISHED": {env: reason}}.  @published
 * and @removed are GPtrArrays of AmPubGatewayResult (either may be NULL).
 * NULL when nothing failed. */
JsonNode *am_pub_failed_gateways_json (const GPtrArray *published, const GPtrArray *removed);

/* ---- REST (am-pub-rest.c) ---- */

extern const AmRestRoute am_publisher_routes[];
