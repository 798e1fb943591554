/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API lifecycle of WSO2 API-M 2.x (the registry aspect "APILifeCycle",
 * APILifeCycle.xml): states, actions, the next state for an action, the
 * error the Publisher REST API answers for an action that is not allowed,
 * and what a state change does to the gateways.
 */
#pragma once

#include <glib.h>

#include "am-pub-error.h"

typedef enum {
	AM_PUB_STATE_CREATED,
	AM_PUB_STATE_PROTOTYPED,
	AM_PUB_STATE_PUBLISHED,
	AM_PUB_STATE_BLOCKED,
	AM_PUB_STATE_DEPRECATED,
	AM_PUB_STATE_RETIRED,
} AmPubState;

/* What a state change asks of the gateways (APIProviderImpl.updateAPIStatus). */
typedef enum {
	AM_PUB_GATEWAY_NONE,	/* same state: nothing is redeployed */
	AM_PUB_GATEWAY_PUBLISH, /* (re)deploy: PUBLISHED, PROTOTYPED, DEPRECATED, BLOCKED */
	AM_PUB_GATEWAY_REMOVE,	/* undeploy: CREATED, RETIRED */
} AmPubGatewayOp;

/* Upper case as AM_API/overview_status store it ("PUBLISHED"). */
const char *am_pub_state_to_string (AmPubState state);
/* Title case as the registry lifecycle property stores it ("Published"). */
const char *am_pub_state_to_registry (AmPubState state);
/* Either form, any case; FALSE for anything else. */
gboolean am_pub_state_from_string (const char *text, AmPubState *state);

/* The actions allowed from @state in APILifeCycle.xml's order
 * (NULL-terminated, static; empty for RETIRED). */
const char *const *am_pub_lifecycle_actions (AmPubState state);
/* Every action name the REST API knows (its yaml enum). */
const char *const *am_pub_lifecycle_all_actions (void);

/* The state @action (exact, case-sensitive as in WSO2) leads to from
 * @from.  FALSE with AM_PUB_ERROR_NOT_ALLOWED and WSO2's message
 * "Action '<a>' is not allowed. Allowed actions are [A, B]" otherwise. */
gboolean am_pub_lifecycle_next (AmPubState from, const char *action, AmPubState *to,
				GError **error);

/* Whether an API in @state is deployed on its gateways. */
gboolean am_pub_state_on_gateway (AmPubState state);
/* What changing from @from to @to does to the gateways. */
AmPubGatewayOp am_pub_lifecycle_gateway_op (AmPubState from, AmPubState to);
