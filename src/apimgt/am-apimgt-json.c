/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The REST objects API-M 2.x's Publisher v0.11 and Store v0.11 write the
 * same way (their TierMappingUtil, SubscriptionMappingUtil and the common
 * members of the API and Application DTOs): members in the DTOs' declared
 * order, absent values written as null as Jackson does for those DTOs.
 * What differs between the two is a parameter: the context (the Publisher
 * drops the version, the Store keeps it), the Publisher's timeUnit, the
 * application members each DTO has.
 */
#define G_LOG_DOMAIN "am.apimgt"
#include "config.h"

#include "am-apimgt-json.h"

#include "am-apim-conf.h"

/* ---- builder helpers ---- */

void
am_apimgt_json_add_string (JsonBuilder *b, const char *name, const char *value)
{
	json_builder_set_member_name (b, name);
	if (value != NULL)
		json_builder_add_string_value (b, value);
	else
		json_builder_add_null_value (b);
}

void
am_apimgt_json_add_strv (JsonBuilder *b, const char *name, const char *const *values)
{
	json_builder_set_member_name (b, name);
	json_builder_begin_array (b);
	for (guint i = 0; values != NULL && values[i] != NULL; i++)
		json_builder_add_string_value (b, values[i]);
	json_builder_end_array (b);
}

void
am_apimgt_json_add_bool (JsonBuilder *b, const char *name, gboolean value)
{
	json_builder_set_member_name (b, name);
	json_builder_add_boolean_value (b, value);
}

const char *
am_apimgt_environment_type_name (int type)
{
	switch (type) {
	case AM_ENV_PRODUCTION:
		return "production";
	case AM_ENV_SANDBOX:
		return "sandbox";
	default:
		return "hybrid";
	}
}

/* ---- APIs ---- */

void
am_apimgt_json_add_api_head (JsonBuilder *b, const AmApi *api, const char *context)
{
	am_apimgt_json_add_string (b, "id", api->id);
	am_apimgt_json_add_string (b, "name", api->name);
	am_apimgt_json_add_string (b, "description", api->description);
	am_apimgt_json_add_string (b, "context", context);
	am_apimgt_json_add_string (b, "version", api->version);
	am_apimgt_json_add_string (b, "provider", api->provider);
}

void
am_apimgt_json_add_business (JsonBuilder *b, const AmApi *api)
{
	json_builder_set_member_name (b, "businessInformation");
	json_builder_begin_object (b);
	am_apimgt_json_add_string (b, "businessOwner", api->business_owner);
	am_apimgt_json_add_string (b, "businessOwnerEmail", api->business_owner_email);
	am_apimgt_json_add_string (b, "technicalOwner", api->technical_owner);
	am_apimgt_json_add_string (b, "technicalOwnerEmail", api->technical_owner_email);
	json_builder_end_object (b);
}

JsonNode *
am_apimgt_api_info_json (const AmApi *api, const char *context)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();

	json_builder_begin_object (b);
	am_apimgt_json_add_api_head (b, api, context);
	am_apimgt_json_add_string (b, "status", api->status);
	json_builder_end_object (b);
	return json_builder_get_root (b);
}

/* ---- tiers, subscriptions, applications ---- */

JsonNode *
am_apimgt_tier_json (const AmTier *tier, const char *rest_level, AmApimgtSide side)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();
	gboolean unlimited = g_strcmp0 (tier->name, "Unlimited") == 0;

	json_builder_begin_object (b);
	am_apimgt_json_add_string (b, "name", tier->name);
	am_apimgt_json_add_string (b, "description", tier->description);
	am_apimgt_json_add_string (b, "tierLevel", rest_level);
	json_builder_set_member_name (b, "attributes");
	json_builder_begin_object (b);
	for (guint i = 0; tier->attribute_names != NULL && tier->attribute_names[i] != NULL; i++)
		am_apimgt_json_add_string (b, tier->attribute_names[i], tier->attribute_values[i]);
	json_builder_end_object (b);
	json_builder_set_member_name (b, "requestCount");
	json_builder_add_int_value (b, tier->request_count);
	/* the policy's UNIT_TIME as stored (1 for "per one minute"):
	 * APIUtil.getTiersFromPolicies copies limit.getUnitTime() */
	json_builder_set_member_name (b, "unitTime");
	json_builder_add_int_value (b, unlimited ? 0 : tier->unit_time);
	if (side == AM_APIMGT_PUBLISHER) /* the Store's TierDTO has no time unit */
		am_apimgt_json_add_string (b, "timeUnit", unlimited ? NULL : tier->time_unit);
	am_apimgt_json_add_string (b, "tierPlan", tier->tier_plan);
	am_apimgt_json_add_bool (b, "stopOnQuotaReach", tier->stop_on_quota_reach);
	json_builder_end_object (b);
	return json_builder_get_root (b);
}

JsonNode *
am_apimgt_subscription_json (const AmSubscription *sub)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();

	json_builder_begin_object (b);
	am_apimgt_json_add_string (b, "subscriptionId", sub->uuid);
	am_apimgt_json_add_string (b, "applicationId", sub->application_uuid);
	am_apimgt_json_add_string (b, "apiIdentifier", sub->api_identifier);
	am_apimgt_json_add_string (b, "tier", sub->tier);
	am_apimgt_json_add_string (b, "status", sub->status);
	json_builder_end_object (b);
	return json_builder_get_root (b);
}

void
am_apimgt_json_add_application (JsonBuilder *b, const AmApplication *app, gboolean callback_url,
				gboolean status)
{
	am_apimgt_json_add_string (b, "applicationId", app->uuid);
	am_apimgt_json_add_string (b, "name", app->name);
	am_apimgt_json_add_string (b, "subscriber", app->subscriber);
	am_apimgt_json_add_string (b, "throttlingTier", app->tier);
	if (callback_url)
		am_apimgt_json_add_string (b, "callbackUrl", app->callback_url);
	am_apimgt_json_add_string (b, "description", app->description);
	if (status)
		am_apimgt_json_add_string (b, "status", app->status);
	am_apimgt_json_add_string (b, "groupId", app->group_id);
}
