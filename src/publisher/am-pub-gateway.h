/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pushing an API to the gateway environments of api-manager.xml
 * (APIGateway/Environments/Environment) as a WSO2 2.x Publisher does
 * (APIGatewayManager through APIGatewayAdminClient): the synapse API XML
 * generated for each environment's type is sent to the environment's
 * ServerURL + "APIGatewayAdmin" (SOAP, HTTP Basic with the environment's
 * Username/Password, TLS verified against carbon.xml's TrustStore), and
 * every environment gets its own result, so a failure on one is reported
 * and can be retried while the others stay deployed.
 *
 * Blocking: call from a worker thread (the REST handlers run on one).
 */
#pragma once
#include <glib.h>
#include "am-api.h"
#include "am-apim-conf.h"
#include "am-keystore.h"
#include "am-pub-synapse.h"

/* The outcome on one environment. */
typedef struct {
	char *environment; /* Environment/Name as given */
	char *error;	   /* NULL: done; else why not (never holds a credential) */
} AmPubGatewayResult;

void am_pub_gateway_result_free (AmPubGatewayResult *result);

typedef struct _AmPubGateways AmPubGateways;

/* @apim and @truststore (NULL: the system CAs only) are borrowed and must
 * outlive the result; @options gives the settings that do not depend on
 * the environment (its environment_type is set per environment). */
AmPubGateways *am_pub_gateways_new (const AmApimConf *apim, AmKeystore *truststore,
				    const AmPubSynapseOptions *options);
void am_pub_gateways_free (AmPubGateways *gws);

/* Deploy @api on each environment named in @environments (NULL: the API's
 * own gateway_environments): the versioned API added or updated (getApi
 * tells which), and the default-version API added or updated when
 * api->is_default_version, removed otherwise when present and forwarding
 * to this version (another version's default API is left alone).  An
 * environment of a type the API has no endpoint for is skipped as WSO2
 * skips it (a result without error).  Returns one AmPubGatewayResult per
 * environment named, in order; an unknown name is a failed result. */
GPtrArray *am_pub_gateways_publish (AmPubGateways *gws, const AmApi *api,
				    const char *const *environments);

/* Remove @api from each environment named (NULL: the API's own): the
 * versioned API, and the default-version API when api->is_default_version
 * or when it forwards to this version; an API that is not there counts as
 * removed. */
GPtrArray *am_pub_gateways_remove (AmPubGateways *gws, const AmApi *api,
				   const char *const *environments);

/* Whether every result is a success. */
gboolean am_pub_gateway_results_ok (const GPtrArray *results);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmPubGateways, am_pub_gateways_free)
