/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The REST objects the Publisher v0.11 and the Store v0.11 write alike
 * (am-apimgt-json.c): JsonBuilder helpers and the shared DTOs.  Where the
 * two APIs differ on purpose the difference is a parameter (@side, the
 * context shown, which members an object has).  Pure: no I/O.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "am-api.h"
#include "am-consumer.h"
#include "am-tiers.h"

/* Which REST API writes the object. */
typedef enum {
	AM_APIMGT_STORE,
	AM_APIMGT_PUBLISHER,
} AmApimgtSide;

/* ---- builder helpers ---- */

/* "name": "value", or null when @value is NULL (as Jackson writes it). */
void am_apimgt_json_add_string (JsonBuilder *b, const char *name, const char *value);
/* "name": [..] (empty when @values is NULL). */
void am_apimgt_json_add_strv (JsonBuilder *b, const char *name, const char *const *values);
void am_apimgt_json_add_bool (JsonBuilder *b, const char *name, gboolean value);
/* "production", "sandbox" or "hybrid" for an AM_ENV_* type. */
const char *am_apimgt_environment_type_name (int type);

/* ---- APIs ---- */

/* The members both APIs start an API object with: id, name, description,
 * context (@context: each API shows its own), version, provider. */
void am_apimgt_json_add_api_head (JsonBuilder *b, const AmApi *api, const char *context);
/* "businessInformation": {businessOwner, businessOwnerEmail,
 * technicalOwner, technicalOwnerEmail}. */
void am_apimgt_json_add_business (JsonBuilder *b, const AmApi *api);
/* APIInfo {id, name, description, context, version, provider, status}. */
JsonNode *am_apimgt_api_info_json (const AmApi *api, const char *context);

/* ---- tiers, subscriptions, applications ---- */

/* Tier {name, description, tierLevel, attributes, requestCount, unitTime,
 * [timeUnit,] tierPlan, stopOnQuotaReach}: timeUnit only in the
 * Publisher's TierDTO; Unlimited has unitTime 0 (and timeUnit null). */
JsonNode *am_apimgt_tier_json (const AmTier *tier, const char *rest_level, AmApimgtSide side);
/* Subscription {subscriptionId, applicationId, apiIdentifier, tier, status}. */
JsonNode *am_apimgt_subscription_json (const AmSubscription *sub);
/* The members of an application object: applicationId, name, subscriber,
 * throttlingTier, [callbackUrl,] description, [status,] groupId. */
void am_apimgt_json_add_application (JsonBuilder *b, const AmApplication *app,
				     gboolean callback_url, gboolean status);
