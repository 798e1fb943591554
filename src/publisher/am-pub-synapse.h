/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The synapse API configuration a WSO2 API-M 2.x Publisher sends to a
 * gateway environment for an API (velocity_template.xml through
 * APITemplateBuilderImpl), the default-version API (default_api_template.xml)
 * and the file names the gateway stores them under.  Pure: no I/O.
 */
#pragma once

#include <glib.h>

#include "am-api.h"
#include "am-pub-error.h"

/* api-manager.xml <Environment type=...>. */
typedef enum {
	AM_PUB_ENV_HYBRID,
	AM_PUB_ENV_PRODUCTION,
	AM_PUB_ENV_SANDBOX,
} AmPubEnvType;

typedef struct {
	AmPubEnvType environment_type;
	/* ThrottlingConfigurations/EnableAdvanceThrottling (2.x: true):
	 * ThrottleHandler, else the legacy APIThrottleHandler with tiers.xml keys. */
	gboolean advanced_throttling;
	/* CORSConfiguration/Enabled (shipped true): the CORS handler is added
	 * for APIs without their own CORS configuration. */
	gboolean global_cors;
	/* ExtensionHandlerPosition = top: APIManagerExtensionHandler first. */
	gboolean extension_handler_top;
} AmPubSynapseOptions;

/* hybrid, advanced throttling, global CORS on, extension handler at the end. */
void am_pub_synapse_options_init (AmPubSynapseOptions *options);
/* "hybrid", "production", "sandbox" (any case). */
gboolean am_pub_env_type_from_string (const char *text, AmPubEnvType *type);

/* "admin--PizzaShackAPI" ("@" of the provider as "-AT-"). */
char *am_pub_synapse_api_name (const AmApi *api);
/* "admin--PizzaShackAPI:v1.0.0": the synapse API name of the versioned API. */
char *am_pub_synapse_qualified_name (const AmApi *api);
/* "admin--PizzaShackAPI_v1.0.0.xml" and, for the default version,
 * "admin--PizzaShackAPI.xml". */
char *am_pub_synapse_file_name (const AmApi *api);
char *am_pub_synapse_default_file_name (const AmApi *api);

/* Whether the API goes to an environment of @type at all: WSO2
 * (APIGatewayManager) skips a production environment when the API has no
 * production endpoint, a sandbox one without sandbox endpoint, and cannot
 * render an API with neither.  FALSE with AM_PUB_ERROR_NO_ENDPOINT then, or
 * AM_PUB_ERROR_INVALID for an unusable endpointConfig. */
gboolean am_pub_synapse_deployable (const AmApi *api, AmPubEnvType type, GError **error);

/* The API's synapse XML for one environment; NULL with AM_PUB_ERROR_INVALID
 * (endpointConfig, no resource, bad status) or AM_PUB_ERROR_NO_ENDPOINT. */
char *am_pub_synapse_generate (const AmApi *api, const AmPubSynapseOptions *options,
			       GError **error);
/* The default-version API forwarding /<context> to /<context>/<version>. */
char *am_pub_synapse_generate_default (const AmApi *api, GError **error);
