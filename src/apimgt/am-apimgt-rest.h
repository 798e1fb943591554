/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the Publisher's and the Store's REST handlers share
 * (am-apimgt-rest.c): the API storage on a handler's connection, APIs by
 * id, the consumer layer's refusals as WSO2's answers, list URLs and the
 * /tiers resources.  Where the two APIs differ on purpose the difference
 * is an AmApimgtSide.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "am-api-store.h"
#include "am-apim-conf.h"
#include "am-apimgt-json.h"
#include "am-db.h"
#include "am-registry.h"
#include "am-rest.h"

/* The API storage of a handler: @am the call's WSO2AM_DB connection, @reg
 * the registry's (= @am when the registry lives in that datasource, else
 * @own_reg, a connection of its own). */
typedef struct {
	AmDbConn *am;
	AmDbConn *reg;
	AmDbConn *own_reg;
	AmRegistry *registry;
	AmApiStore *apis;
} AmApimgtDb;

/* Open @s on @conn; the registry of @reg_db (NULL or @conn's datasource:
 * @conn) on a writer connection when @write, else a reader. */
gboolean am_apimgt_db_open (AmApimgtDb *s, AmDb *reg_db, AmDbConn *conn, gboolean write,
			    GError **error);
void am_apimgt_db_clear (AmApimgtDb *s);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AmApimgtDb, am_apimgt_db_clear)

/* An API by registry UUID or "provider-name-version"; 404 "API" when
 * there is none. */
AmApi *am_apimgt_db_find_api (AmApimgtDb *s, const char *id, GError **error);
/* The APIs matching the ?query= of a GET /apis (am_api_store_search); a
 * query it cannot take is 400. */
GPtrArray *am_apimgt_db_search (AmApimgtDb *s, const char *query, GError **error);

/* @cause (an AM_CONSUMER_ERROR) as WSO2 answers it: 404 / 403 on
 * @resource @id, 400, 409; anything else as is.  Always FALSE. */
gboolean am_apimgt_consumer_error (GError **error, const GError *cause, const char *resource,
				   const char *id);

/* "<resource>?limit=%limit&offset=%offset", then "&<name>=<value>" with
 * @value escaped unless @name is NULL: the template of am_rest_list. */
char *am_apimgt_rest_list_url (const char *resource, const char *name, const char *value);

/* The REST tier levels: "api" (subscription tiers), "application", and on
 * the Publisher "resource" (API / resource level policies); 400 otherwise. */
gboolean am_apimgt_rest_tier_level (const char *text, AmApimgtSide side, AmTierLevel *level,
				    GError **error);
/* GET /tiers/{tierLevel}: the paginated tier list; GET
 * /tiers/{tierLevel}/{tierName} (a route with that parameter): one tier,
 * 404 when there is none. */
JsonNode *am_apimgt_rest_get_tiers (AmRestCall *call, AmDbConn *conn, const AmApimConf *apim,
				    AmApimgtSide side, GError **error);

/* AmRestItemJson of an AmSubscription (am_rest_list_slice). */
JsonNode *am_apimgt_rest_subscription_item (gconstpointer sub, gconstpointer data);
