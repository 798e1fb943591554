/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The handler plumbing API-M 2.x's Publisher v0.11 and Store v0.11 REST
 * APIs have in common: the API storage opened on the call's WSO2AM_DB
 * connection (the governance registry on the same connection when it
 * lives in the same datasource), an apiId that is the registry UUID or
 * "provider-name-version" (RestApiUtil / APIMappingUtil.getAPIIdentifier
 * FromApiIdOrUUID), the consumer layer's refusals as the ErrorDTOs WSO2
 * answers with, and the TiersApiServiceImpl of both: /tiers/{tierLevel}
 * with "api" meaning subscription tiers, the Publisher also knowing
 * "resource" and writing timeUnit.
 */
#define G_LOG_DOMAIN "am.apimgt"
#include "config.h"

#include "am-apimgt-rest.h"

#include "am-consumer.h"
#include "am-tiers.h"

/* ---- the API storage ---- */

gboolean
am_apimgt_db_open (AmApimgtDb *s, AmDb *reg_db, AmDbConn *conn, gboolean write, GError **error)
{
	s->am = conn;
	if (reg_db == NULL || reg_db == am_db_conn_get_db (conn)) {
		s->reg = conn;
	} else {
		s->own_reg = write ? am_db_acquire (reg_db, error)
				   : am_db_acquire_reader (reg_db, error);
		if (s->own_reg == NULL)
			return FALSE;
		s->reg = s->own_reg;
	}
	/* API-M 2.x's registry.xml versions properties and tags */
	s->registry = am_registry_new (AM_REGISTRY_SUPER_TENANT_ID, TRUE);
	s->apis = am_api_store_new (s->registry);
	return TRUE;
}

void
am_apimgt_db_clear (AmApimgtDb *s)
{
	g_clear_pointer (&s->apis, am_api_store_free);
	g_clear_pointer (&s->registry, am_registry_free);
	g_clear_pointer (&s->own_reg, am_db_release);
}

static gboolean
not_found_error (const GError *e)
{
	return g_error_matches (e, AM_API_STORE_ERROR, AM_API_STORE_ERROR_NOT_FOUND) ||
	       g_error_matches (e, AM_REGISTRY_ERROR, AM_REGISTRY_ERROR_NOT_FOUND);
}

AmApi *
am_apimgt_db_find_api (AmApimgtDb *s, const char *id, GError **error)
{
	g_autoptr (GError) local = NULL;
	AmApi *api = am_api_store_get (s->apis, s->reg, s->am, id, &local);
	g_autofree char *provider = NULL, *name = NULL, *version = NULL;

	if (api != NULL)
		return api;
	if (!not_found_error (local)) {
		g_propagate_error (error, g_steal_pointer (&local));
		return NULL;
	}
	if (am_api_identifier_parse (id, &provider, &name, &version)) {
		g_clear_error (&local);
		api = am_api_store_get_by_identifier (s->apis, s->reg, s->am, provider, name,
						      version, &local);
		if (api != NULL)
			return api;
		if (!not_found_error (local)) {
			g_propagate_error (error, g_steal_pointer (&local));
			return NULL;
		}
	}
	am_rest_not_found (error, "API", id);
	return NULL;
}

GPtrArray *
am_apimgt_db_search (AmApimgtDb *s, const char *query, GError **error)
{
	g_autoptr (GError) local = NULL;
	GPtrArray *all = am_api_store_search (s->apis, s->reg, s->am, query, &local);

	if (all != NULL)
		return all;
	if (g_error_matches (local, AM_API_STORE_ERROR, AM_API_STORE_ERROR_BAD_QUERY))
		am_rest_bad_request (error, local->message);
	else
		g_propagate_error (error, g_steal_pointer (&local));
	return NULL;
}

/* ---- errors, lists ---- */

gboolean
am_apimgt_consumer_error (GError **error, const GError *cause, const char *resource,
			  const char *id)
{
	if (cause->domain == AM_CONSUMER_ERROR) {
		switch ((AmConsumerErrorCode) cause->code) {
		case AM_CONSUMER_ERROR_NOT_FOUND:
			am_rest_not_found (error, resource, id);
			return FALSE;
		case AM_CONSUMER_ERROR_FORBIDDEN:
			am_rest_forbidden (error, resource, id);
			return FALSE;
		case AM_CONSUMER_ERROR_INVALID:
		case AM_CONSUMER_ERROR_BAD_TIER:
			am_rest_bad_request (error, cause->message);
			return FALSE;
		case AM_CONSUMER_ERROR_APP_EXISTS:
		case AM_CONSUMER_ERROR_SUB_EXISTS:
		case AM_CONSUMER_ERROR_USER_EXISTS:
			g_set_error_literal (error, AM_REST_ERROR, AM_REST_ERROR_EXISTS,
					     cause->message);
			return FALSE;
		case AM_CONSUMER_ERROR_SUB_BLOCKED:
		case AM_CONSUMER_ERROR_KEYS_EXIST:
			g_set_error_literal (error, AM_REST_ERROR, AM_REST_ERROR_CONFLICT,
					     cause->message);
			return FALSE;
		case AM_CONSUMER_ERROR_FAILED:
			break;
		}
	}
	g_propagate_error (error, g_error_copy (cause));
	return FALSE;
}

char *
am_apimgt_rest_list_url (const char *resource, const char *name, const char *value)
{
	g_autofree char *q = NULL;

	if (name == NULL)
		return g_strdup_printf ("%s?limit=%%limit&offset=%%offset", resource);
	q = g_uri_escape_string (value != NULL ? value : "", NULL, FALSE);
	return g_strdup_printf ("%s?limit=%%limit&offset=%%offset&%s=%s", resource, name, q);
}

JsonNode *
am_apimgt_rest_subscription_item (gconstpointer sub, gconstpointer data)
{
	return am_apimgt_subscription_json (sub);
}

/* ---- /tiers ---- */

gboolean
am_apimgt_rest_tier_level (const char *text, AmApimgtSide side, AmTierLevel *level,
			   GError **error)
{
	g_autofree char *msg = NULL;

	if (g_strcmp0 (text, "api") == 0) {
		*level = AM_TIER_LEVEL_SUBSCRIPTION;
		return TRUE;
	}
	if (g_strcmp0 (text, "application") == 0) {
		*level = AM_TIER_LEVEL_APPLICATION;
		return TRUE;
	}
	if (side == AM_APIMGT_PUBLISHER && g_strcmp0 (text, "resource") == 0) {
		*level = AM_TIER_LEVEL_API;
		return TRUE;
	}
	msg = g_strdup_printf ("tierLevel '%s' is invalid: it must be %s", text,
			       side == AM_APIMGT_PUBLISHER ? "api, application or resource"
							   : "api or application");
	am_rest_bad_request (error, msg);
	return FALSE;
}

typedef struct {
	const char *level; /* as the request names it */
	AmApimgtSide side;
} TierItem;

static JsonNode *
tier_item (gconstpointer tier, gconstpointer data)
{
	const TierItem *t = data;

	return am_apimgt_tier_json (tier, t->level, t->side);
}

static JsonNode *
get_tier (AmRestCall *call, AmDbConn *conn, const AmApimConf *apim, AmApimgtSide side,
	  GError **error)
{
	const char *level_text = am_rest_call_param (call, "tierLevel");
	const char *name = am_rest_call_param (call, "tierName");
	g_autoptr (AmTier) tier = NULL;
	g_autoptr (GError) local = NULL;
	AmTierLevel level;

	if (!am_apimgt_rest_tier_level (level_text, side, &level, error))
		return NULL;
	tier = am_tiers_get (conn, level, am_rest_call_tenant_id (call), name,
			     apim != NULL ? apim->unlimited_tier : TRUE, &local);
	if (tier == NULL) {
		if (g_error_matches (local, AM_TIERS_ERROR, AM_TIERS_ERROR_NOT_FOUND))
			am_rest_not_found (error, "tier", name);
		else
			g_propagate_error (error, g_steal_pointer (&local));
		return NULL;
	}
	return am_apimgt_tier_json (tier, level_text, side);
}

JsonNode *
am_apimgt_rest_get_tiers (AmRestCall *call, AmDbConn *conn, const AmApimConf *apim,
			  AmApimgtSide side, GError **error)
{
	const char *level_text = am_rest_call_param (call, "tierLevel");
	g_autoptr (GPtrArray) tiers = NULL;
	g_autofree char *url = NULL;
	AmTierLevel level;
	gint64 limit, offset;

	if (am_rest_call_param (call, "tierName") != NULL)
		return get_tier (call, conn, apim, side, error);
	if (!am_rest_call_pagination (call, &limit, &offset, error) ||
	    !am_apimgt_rest_tier_level (level_text, side, &level, error))
		return NULL;
	tiers = am_tiers_list (conn, level, am_rest_call_tenant_id (call),
			       apim != NULL ? apim->unlimited_tier : TRUE, error);
	if (tiers == NULL)
		return NULL;
	url = g_strdup_printf ("/tiers/%s?limit=%%limit&offset=%%offset", level_text);
	return am_rest_list_slice (tiers, offset, limit, tier_item,
				   &(TierItem) { level_text, side }, url);
}
