/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Throttling tiers as the Store and the Publisher show them: the API-M 2.x
 * advanced throttling policies of one tenant, read from
 * AM_POLICY_SUBSCRIPTION (subscription tiers), AM_POLICY_APPLICATION
 * (application tiers) and AM_API_THROTTLE_POLICY (API / resource tiers),
 * plus WSO2's default policies for a tenant that has none
 * (APIUtil.addDefaultTenantAdvancedThrottlePolicies).
 *
 * Every function blocks on the database: call it from a worker thread.
 */
#pragma once

#include <glib.h>

#include "am-db.h"

#define AM_TIERS_ERROR (am_tiers_error_quark ())
GQuark am_tiers_error_quark (void);

typedef enum {
	AM_TIERS_ERROR_FAILED,
	AM_TIERS_ERROR_NOT_FOUND, /* no such tier at that level */
	AM_TIERS_ERROR_INVALID,	  /* unknown tier level */
} AmTiersErrorCode;

typedef enum {
	AM_TIER_LEVEL_SUBSCRIPTION, /* AM_POLICY_SUBSCRIPTION */
	AM_TIER_LEVEL_APPLICATION,  /* AM_POLICY_APPLICATION */
	AM_TIER_LEVEL_API,	    /* AM_API_THROTTLE_POLICY (API / resource level) */
} AmTierLevel;

/* "subscription", "application", "api". */
const char *am_tier_level_to_string (AmTierLevel level);
/* "subscription", "application", "api" (and "resource" for api); FALSE with
 * AM_TIERS_ERROR_INVALID otherwise.  The REST layers map their own names
 * (the Store's /tiers/api means subscription tiers). */
gboolean am_tier_level_from_string (const char *text, AmTierLevel *level, GError **error);

/* One tier, the fields of WSO2's Tier model as the REST Tier JSON needs
 * them. */
typedef struct {
	AmTierLevel level;
	gint64 policy_id;
	char *uuid;
	char *name;		   /* tier name (NAME) */
	char *display_name;	   /* DISPLAY_NAME */
	char *description;
	char *quota_type;	   /* requestCount / bandwidthVolume */
	gint64 request_count;	   /* QUOTA (requests, or the data amount) */
	char *quota_unit;	   /* KB / MB for bandwidth, else NULL */
	gint64 unit_time;	   /* UNIT_TIME as stored (e.g. 1) */
	char *time_unit;	   /* sec / min / hour / day / month / year */
	gint64 unit_time_ms;	   /* unit_time * time_unit in ms (60000 for 1 min);
				    * 0 for the Unlimited tier, as WSO2 leaves it */
	char *tier_plan;	   /* BILLING_PLAN (subscription tiers); "FREE" for
				    * Unlimited; NULL for other levels */
	gboolean stop_on_quota_reach; /* subscription tiers; FALSE elsewhere */
	gint64 rate_limit_count;   /* spike arrest (subscription), 0 = none */
	char *rate_limit_time_unit;
	char *applicable_level;	   /* API level: apiLevel / userLevel */
	gboolean deployed;	   /* IS_DEPLOYED */
	/* custom attributes (CUSTOM_ATTRIBUTES JSON [{name,value}]), in stored
	 * order; both NULL-terminated and of the same length */
	char **attribute_names;
	char **attribute_values;
} AmTier;

void am_tier_free (AmTier *tier);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmTier, am_tier_free)

/* The tiers of @level for @tenant_id sorted by name, as
 * APIUtil.getTiersFromPolicies lists them: "Unlimited" only when
 * @unlimited_enabled (api-manager.xml TierManagement/EnableUnlimitedTier),
 * with requestCount Integer.MAX_VALUE and plan FREE; subscription tiers
 * without "Unauthenticated".  A GPtrArray of AmTier. */
GPtrArray *am_tiers_list (AmDbConn *conn, AmTierLevel level, int tenant_id,
			  gboolean unlimited_enabled, GError **error);
/* One tier by name; AM_TIERS_ERROR_NOT_FOUND when there is none (or it is
 * Unlimited and @unlimited_enabled is off). */
AmTier *am_tiers_get (AmDbConn *conn, AmTierLevel level, int tenant_id, const char *name,
		      gboolean unlimited_enabled, GError **error);
/* Whether a policy @name exists at @level for @tenant_id (any name,
 * Unlimited included): *@exists.  FALSE only on a database failure. */
gboolean am_tiers_exists (AmDbConn *conn, AmTierLevel level, int tenant_id, const char *name,
			  gboolean *exists, GError **error);

/* WSO2's default policies for @tenant_id, each added when the tenant has no
 * policy of that name at that level (APIUtil.addDefaultTenantAdvancedThrottle
 * Policies): subscription Gold 5000, Silver 2000, Bronze 1000,
 * Unauthenticated 500, Unlimited; application 50PerMin, 20PerMin, 10PerMin,
 * Unlimited; API level 50KPerMin, 20KPerMin, 10KPerMin, Unlimited; all
 * request counts per 1 min with a random UUID.  One transaction; the number
 * of rows added goes to @n_added (may be NULL). */
gboolean am_tiers_add_defaults (AmDbConn *conn, int tenant_id, guint *n_added, GError **error);
