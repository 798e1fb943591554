/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Store REST API /api/am/store/v0.11 of API-M 2.x (wso2-db-rest.md
 * §4.3): the route table and its handlers on the REST plumbing (am-rest.h),
 * the API storage (am-api-store.h), the consumer layer (am-consumer.h) and
 * the tiers (am-tiers.h).  What it reproduces of the 2.x Store
 * (rest.api.store ApisApiServiceImpl, ApplicationsApiServiceImpl,
 * SubscriptionsApiServiceImpl, TiersApiServiceImpl, TagsApiServiceImpl):
 *
 *   - anonymous reads of /apis, /apis/{id}, its swagger, /tiers and /tags;
 *     with a token the caller's roles widen what is visible (restricted
 *     APIs); an API that is not PUBLISHED/PROTOTYPED/DEPRECATED, or not
 *     visible to the caller, is a 403 on GET /apis/{id};
 *   - apiId is the registry UUID or "provider-name-version";
 *   - the caller's AM_SUBSCRIBER row (and DefaultApplication) is made on
 *     its first authenticated call, as the Store's
 *     PostAuthenticationInterceptor does;
 *   - applications and subscriptions belong to their owner: another user's
 *     is 403, an unknown one 404; a duplicate application name is 409,
 *     an unknown application tier 400; keys of a type already generated
 *     are 409;
 *   - subscriptions only to PUBLISHED APIs (APIConsumerImpl.addSubscription
 *     refuses other states as a missing resource) on one of the API's
 *     tiers; the Key Manager's validation cache is dropped after a
 *     subscription changes.
 *
 * Every handler runs on the REST worker pool with a borrowed WSO2AM_DB
 * connection; the registry is read on the same connection when it lives
 * in the same datasource, else on a reader connection of its own.
 */
#define G_LOG_DOMAIN "am.store"
#include "config.h"

#include "am-store.h"

#include <string.h>

#include "am-apimgt-rest.h"

#define STORE_MAX_LIST G_MAXINT32

/* ---- shared helpers ---- */

/* The caller's subscriber row, made on its first call (NULL: anonymous). */
static AmSubscriber *
store_owner (AmRestCall *call, AmDbConn *conn, GError **error)
{
	const char *user = am_rest_call_user (call);

	if (user == NULL) {
		g_set_error_literal (error, AM_REST_ERROR, AM_REST_ERROR_UNAUTHORIZED,
				     AM_REST_UNAUTHENTICATED);
		return NULL;
	}
	return am_consumer_subscriber_ensure (conn, user, am_rest_call_tenant_id (call), error);
}

/* The caller's roles (empty for anonymous). */
static char **
store_roles (AmStoreCtx *ctx, AmRestCall *call, GError **error)
{
	const char *user = am_rest_call_user (call);

	if (user == NULL || ctx->us == NULL)
		return g_new0 (char *, 1);
	return am_userstore_get_roles (ctx->us, user, error);
}

/* An API the caller may read (GET /apis/{id}): 404 unknown, 403 hidden. */
static AmApi *
store_readable_api (AmStoreCtx *ctx, AmApimgtDb *s, AmRestCall *call, const char *id,
		    GError **error)
{
	g_autoptr (AmApi) api = am_apimgt_db_find_api (s, id, error);
	g_auto (GStrv) roles = NULL;

	if (api == NULL)
		return NULL;
	roles = store_roles (ctx, call, error);
	if (roles == NULL)
		return NULL;
	if (!am_store_status_readable (api->status) ||
	    !am_store_api_visible (api, am_rest_call_user (call), (const char *const *) roles)) {
		am_rest_forbidden (error, "API", id);
		return NULL;
	}
	return g_steal_pointer (&api);
}

static JsonNode *
store_api_info_item (gconstpointer api, gconstpointer data)
{
	return am_store_api_info_json (api);
}

/* ---- /apis ---- */

static JsonNode *
get_apis (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	AmStoreCtx *ctx = data;
	const char *query = am_rest_call_query (call, "query");
	g_auto (AmApimgtDb) s = { 0 };
	g_autoptr (GPtrArray) all = NULL;
	g_autoptr (GPtrArray) shown = g_ptr_array_new ();
	g_autoptr (AmSubscriber) owner = NULL;
	g_auto (GStrv) roles = NULL;
	g_autofree char *url = NULL;
	gint64 limit, offset;

	if (!am_rest_call_pagination (call, &limit, &offset, error) ||
	    !am_apimgt_db_open (&s, ctx->reg_db, conn, FALSE, error))
		return NULL;
	if (am_rest_call_user (call) != NULL && (owner = store_owner (call, conn, error)) == NULL)
		return NULL;
	roles = store_roles (ctx, call, error);
	if (roles == NULL)
		return NULL;
	all = am_apimgt_db_search (&s, query, error);
	if (all == NULL)
		return NULL;
	for (guint i = 0; i < all->len; i++) {
		AmApi *api = g_ptr_array_index (all, i);

		if (am_store_status_listed (api->status, ctx->conf.display_all_apis) &&
		    am_store_api_visible (api, am_rest_call_user (call),
					  (const char *const *) roles))
			g_ptr_array_add (shown, api);
	}
	url = am_apimgt_rest_list_url ("/apis", "query", query);
	return am_rest_list_slice (shown, offset, limit, store_api_info_item, NULL, url);
}

static JsonNode *
get_api (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	AmStoreCtx *ctx = data;
	g_auto (AmApimgtDb) s = { 0 };
	g_autoptr (AmApi) api = NULL;
	g_autoptr (AmSubscriber) owner = NULL;

	if (!am_apimgt_db_open (&s, ctx->reg_db, conn, FALSE, error))
		return NULL;
	if (am_rest_call_user (call) != NULL && (owner = store_owner (call, conn, error)) == NULL)
		return NULL;
	api = store_readable_api (ctx, &s, call, am_rest_call_param (call, "apiId"), error);
	if (api == NULL)
		return NULL;
	return am_store_api_json (api, ctx->apim);
}

/* Drop "x-mediation-script" from every operation, as the Store does
 * before it shows a definition. */
static char *
store_public_swagger (const char *swagger)
{
	g_autoptr (JsonParser) parser = json_parser_new ();
	g_autoptr (JsonGenerator) gen = NULL;
	JsonObject *root, *paths;
	GList *names;

	if (!json_parser_load_from_data (parser, swagger, -1, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
		return g_strdup (swagger);
	root = json_node_get_object (json_parser_get_root (parser));
	paths = json_object_has_member (root, "paths")
			? json_object_get_object_member (root, "paths")
			: NULL;
	names = paths != NULL ? json_object_get_members (paths) : NULL;
	for (GList *l = names; l != NULL; l = l->next) {
		JsonNode *item = json_object_get_member (paths, l->data);
		GList *verbs;

		if (!JSON_NODE_HOLDS_OBJECT (item))
			continue;
		verbs = json_object_get_members (json_node_get_object (item));
		for (GList *v = verbs; v != NULL; v = v->next) {
			JsonNode *op = json_object_get_member (json_node_get_object (item), v->data);

			if (JSON_NODE_HOLDS_OBJECT (op))
				json_object_remove_member (json_node_get_object (op),
							   "x-mediation-script");
		}
		g_list_free (verbs);
	}
	g_list_free (names);
	gen = json_generator_new ();
	json_generator_set_root (gen, json_parser_get_root (parser));
	return json_generator_to_data (gen, NULL);
}

static JsonNode *
get_api_swagger (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	AmStoreCtx *ctx = data;
	const char *id = am_rest_call_param (call, "apiId");
	g_auto (AmApimgtDb) s = { 0 };
	g_autoptr (AmApi) api = NULL;
	g_autoptr (GBytes) body = NULL;
	char *text;

	if (!am_apimgt_db_open (&s, ctx->reg_db, conn, FALSE, error))
		return NULL;
	api = store_readable_api (ctx, &s, call, id, error);
	if (api == NULL)
		return NULL;
	if (api->swagger == NULL) {
		am_rest_not_found (error, "API definition", id);
		return NULL;
	}
	text = store_public_swagger (api->swagger);
	body = g_bytes_new_take (text, strlen (text));
	am_rest_call_set_raw (call, "application/json", body);
	return NULL;
}

/* ---- /applications ---- */

/* The Application of a POST/PUT body: name and throttlingTier required. */
static gboolean
store_app_spec (AmRestCall *call, AmApplicationSpec *spec, GError **error)
{
	JsonNode *body = am_rest_call_json (call);
	JsonObject *o;
	int n_bad = 0;
	struct {
		const char *member;
		const char **field;
		gboolean required;
	} fields[] = {
		{ "name", &spec->name, TRUE },
		{ "throttlingTier", &spec->tier, TRUE },
		{ "description", &spec->description, FALSE },
		{ "callbackUrl", &spec->callback_url, FALSE },
		{ "groupId", &spec->group_id, FALSE },
		{ "tokenType", &spec->token_type, FALSE },
	};

	memset (spec, 0, sizeof *spec);
	if (body == NULL || !JSON_NODE_HOLDS_OBJECT (body)) {
		am_rest_bad_request (error, AM_REST_MALFORMED_BODY);
		return FALSE;
	}
	o = json_node_get_object (body);
	for (guint i = 0; i < G_N_ELEMENTS (fields); i++) {
		JsonNode *n = json_object_get_member (o, fields[i].member);
		const char *why;

		if (n == NULL || JSON_NODE_HOLDS_NULL (n)) {
			if (!fields[i].required)
				continue;
			why = "may not be null";
		} else if (json_node_get_value_type (n) != G_TYPE_STRING) {
			why = "must be a string";
		} else {
			*fields[i].field = json_node_get_string (n);
			continue;
		}
		am_rest_call_add_invalid (call, fields[i].member, why);
		n_bad++;
	}
	if (n_bad > 0)
		am_rest_validation_error (error);
	return n_bad == 0;
}

/* A refused application create / update: a taken name is WSO2's 409. */
static gboolean
store_app_error (GError **error, const GError *cause, const char *name, const char *id)
{
	if (g_error_matches (cause, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_APP_EXISTS)) {
		g_set_error (error, AM_REST_ERROR, AM_REST_ERROR_EXISTS,
			     "A duplicate application already exists by the name - %s", name);
		return FALSE;
	}
	return am_apimgt_consumer_error (error, cause, "application", id);
}

static JsonNode *
store_app_with_keys (AmDbConn *conn, const AmApplication *app, GError **error)
{
	g_autoptr (GPtrArray) keys = am_consumer_app_keys (conn, app, error);

	if (keys == NULL)
		return NULL;
	return am_store_application_json (app, keys, FALSE);
}

static JsonNode *
get_applications (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	const char *query = am_rest_call_query (call, "query");
	g_autoptr (AmSubscriber) owner = NULL;
	g_autoptr (GPtrArray) apps = NULL;
	g_autofree char *url = NULL;
	JsonArray *items;
	gint64 limit, offset;
	guint total = 0;

	if (!am_rest_call_pagination (call, &limit, &offset, error))
		return NULL;
	owner = store_owner (call, conn, error);
	if (owner == NULL)
		return NULL;
	/* limit 0 means "no limit" to the data layer: ask for none instead */
	apps = am_consumer_app_list (conn, owner, query, MIN (offset, STORE_MAX_LIST),
				     limit == 0 ? 1 : MIN (limit, STORE_MAX_LIST), &total, error);
	if (apps == NULL)
		return NULL;
	items = json_array_new ();
	for (guint i = 0; limit > 0 && i < apps->len; i++)
		json_array_add_element (
			items, am_store_application_json (g_ptr_array_index (apps, i), NULL, TRUE));
	url = am_apimgt_rest_list_url ("/applications", "query", query);
	return am_rest_list (items, url, offset, limit, total);
}

static JsonNode *
post_applications (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	AmApplicationSpec spec;
	g_autoptr (AmSubscriber) owner = NULL;
	g_autoptr (AmApplication) app = NULL;
	g_autoptr (GError) local = NULL;
	g_autofree char *location = NULL;

	if (!store_app_spec (call, &spec, error))
		return NULL;
	owner = store_owner (call, conn, error);
	if (owner == NULL)
		return NULL;
	app = am_consumer_app_create (conn, owner, &spec, &local);
	if (app == NULL)
		return store_app_error (error, local, spec.name, spec.name), NULL;
	location = g_strdup_printf ("/applications/%s", app->uuid);
	am_rest_call_set_created (call, location);
	return am_store_application_json (app, NULL, FALSE);
}

static JsonNode *
get_application (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	const char *id = am_rest_call_param (call, "applicationId");
	g_autoptr (AmSubscriber) owner = store_owner (call, conn, error);
	g_autoptr (AmApplication) app = NULL;
	g_autoptr (GError) local = NULL;

	if (owner == NULL)
		return NULL;
	app = am_consumer_app_get (conn, owner, id, &local);
	if (app == NULL)
		return am_apimgt_consumer_error (error, local, "application", id), NULL;
	return store_app_with_keys (conn, app, error);
}

static JsonNode *
put_application (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	const char *id = am_rest_call_param (call, "applicationId");
	AmApplicationSpec spec;
	g_autoptr (AmSubscriber) owner = NULL;
	g_autoptr (AmApplication) app = NULL;
	g_autoptr (GError) local = NULL;

	if (!store_app_spec (call, &spec, error))
		return NULL;
	owner = store_owner (call, conn, error);
	if (owner == NULL)
		return NULL;
	app = am_consumer_app_update (conn, owner, id, &spec, &local);
	if (app == NULL)
		return store_app_error (error, local, spec.name, id), NULL;
	return store_app_with_keys (conn, app, error);
}

static JsonNode *
delete_application (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	AmStoreCtx *ctx = data;
	const char *id = am_rest_call_param (call, "applicationId");
	g_autoptr (AmSubscriber) owner = store_owner (call, conn, error);
	g_autoptr (GError) local = NULL;

	if (owner == NULL)
		return NULL;
	if (!am_consumer_app_delete (ctx->km, conn, owner, id, &local))
		return am_apimgt_consumer_error (error, local, "application", id), NULL;
	am_km_cache_clear (ctx->km);
	return NULL;
}

static JsonNode *
post_generate_keys (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	AmStoreCtx *ctx = data;
	const char *id = am_rest_call_query (call, "applicationId");
	g_auto (AmStoreKeyRequest) req = { 0 };
	g_autoptr (AmSubscriber) owner = NULL;
	g_autoptr (AmApplication) app = NULL;
	g_autoptr (AmAppKey) key = NULL;
	g_autoptr (GError) local = NULL;

	if (!am_rest_call_require_query (call, (const char *const[]) { "applicationId", NULL },
					 error) ||
	    !am_store_key_request_parse (am_rest_call_json (call), &req, call, error))
		return NULL;
	owner = store_owner (call, conn, error);
	if (owner == NULL)
		return NULL;
	app = am_consumer_app_get (conn, owner, id, &local);
	if (app == NULL)
		return am_apimgt_consumer_error (error, local, "application", id), NULL;
	key = am_consumer_app_generate_keys (ctx->km, conn, owner, app, &req.req, &local);
	if (key == NULL) {
		if (g_error_matches (local, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_KEYS_EXIST)) {
			g_set_error (error, AM_REST_ERROR, AM_REST_ERROR_CONFLICT,
				     "Keys already generated for the application %s", id);
			return NULL;
		}
		return am_apimgt_consumer_error (error, local, "application", id), NULL;
	}
	return am_store_app_key_json (key);
}

/* ---- /subscriptions ---- */

static JsonNode *
store_sub_page (GPtrArray *subs, gint64 offset, gint64 limit, const char *url, guint total)
{
	JsonArray *items = json_array_new ();

	for (guint i = 0; i < subs->len; i++)
		json_array_add_element (items,
					am_apimgt_subscription_json (g_ptr_array_index (subs, i)));
	return am_rest_list (items, url, offset, limit, total);
}

static JsonNode *
get_subscriptions (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	AmStoreCtx *ctx = data;
	const char *app_id = am_rest_call_query (call, "applicationId");
	const char *api_id = am_rest_call_query (call, "apiId");
	g_autoptr (AmSubscriber) owner = NULL;
	g_autoptr (GError) local = NULL;
	g_autofree char *url = NULL;
	gint64 limit, offset;

	if (!am_rest_call_pagination (call, &limit, &offset, error))
		return NULL;
	if ((app_id == NULL || *app_id == '\0') && (api_id == NULL || *api_id == '\0')) {
		am_rest_bad_request (error, "Either applicationId or apiId should be available");
		return NULL;
	}
	owner = store_owner (call, conn, error);
	if (owner == NULL)
		return NULL;
	if (app_id != NULL && *app_id != '\0') {
		g_autoptr (AmApplication) app = am_consumer_app_get (conn, owner, app_id, &local);
		g_autoptr (GPtrArray) subs = NULL;
		guint total = 0;

		if (app == NULL)
			return am_apimgt_consumer_error (error, local, "application", app_id), NULL;
		subs = am_consumer_sub_list_by_app (conn, app->id, MIN (offset, STORE_MAX_LIST),
						    limit == 0 ? 1 : MIN (limit, STORE_MAX_LIST),
						    &total, error);
		if (subs == NULL)
			return NULL;
		if (limit == 0)
			g_ptr_array_set_size (subs, 0);
		url = am_apimgt_rest_list_url ("/subscriptions", "applicationId", app_id);
		return store_sub_page (subs, offset, limit, url, total);
	} else {
		g_auto (AmApimgtDb) s = { 0 };
		g_autoptr (AmApi) api = NULL;
		g_autoptr (GPtrArray) subs = NULL;
		g_autoptr (GPtrArray) mine = g_ptr_array_new ();

		if (!am_apimgt_db_open (&s, ctx->reg_db, conn, FALSE, error))
			return NULL;
		api = store_readable_api (ctx, &s, call, api_id, error);
		if (api == NULL)
			return NULL;
		subs = am_consumer_sub_list_by_api (conn, api->db_id, 0, 0, NULL, error);
		if (subs == NULL)
			return NULL;
		/* the caller's own subscriptions to that API only */
		for (guint i = 0; i < subs->len; i++) {
			AmSubscription *sub = g_ptr_array_index (subs, i);

			if (sub->subscriber_id == owner->id)
				g_ptr_array_add (mine, sub);
		}
		url = am_apimgt_rest_list_url ("/subscriptions", "apiId", api_id);
		return am_rest_list_slice (mine, offset, limit, am_apimgt_rest_subscription_item,
					   NULL, url);
	}
}

static JsonNode *
post_subscriptions (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	AmStoreCtx *ctx = data;
	JsonNode *body = am_rest_call_json (call);
	const char *names[] = { "tier", "apiIdentifier", "applicationId" };
	const char *values[G_N_ELEMENTS (names)] = { NULL };
	g_auto (AmApimgtDb) s = { 0 };
	g_autoptr (AmSubscriber) owner = NULL;
	g_autoptr (AmApplication) app = NULL;
	g_autoptr (AmApi) api = NULL;
	g_autoptr (AmSubscription) sub = NULL;
	g_autoptr (GError) local = NULL;
	g_autofree char *location = NULL;
	int n_bad = 0;

	if (!JSON_NODE_HOLDS_OBJECT (body)) {
		am_rest_bad_request (error, AM_REST_MALFORMED_BODY);
		return NULL;
	}
	for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
		JsonNode *n = json_object_get_member (json_node_get_object (body), names[i]);

		if (n != NULL && json_node_get_value_type (n) == G_TYPE_STRING &&
		    *json_node_get_string (n) != '\0') {
			values[i] = json_node_get_string (n);
		} else {
			am_rest_call_add_invalid (call, names[i], "may not be null");
			n_bad++;
		}
	}
	if (n_bad > 0)
		return am_rest_validation_error (error), NULL;
	owner = store_owner (call, conn, error);
	if (owner == NULL || !am_apimgt_db_open (&s, ctx->reg_db, conn, FALSE, error))
		return NULL;
	app = am_consumer_app_get (conn, owner, values[2], &local);
	if (app == NULL)
		return am_apimgt_consumer_error (error, local, "application", values[2]), NULL;
	api = store_readable_api (ctx, &s, call, values[1], error);
	if (api == NULL)
		return NULL;
	if (g_strcmp0 (api->status, "PUBLISHED") != 0) {
		g_set_error (error, AM_REST_ERROR, AM_REST_ERROR_NOT_FOUND,
			     "Subscriptions not allowed on APIs in the state: %s", api->status);
		return NULL;
	}
	sub = am_consumer_sub_create (conn, owner, app, api->db_id, values[0],
				      (const char *const *) api->tiers, &local);
	if (sub == NULL) {
		if (g_error_matches (local, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_SUB_EXISTS)) {
			g_set_error (error, AM_REST_ERROR, AM_REST_ERROR_EXISTS,
				     "You are already subscribed to the API %s with the "
				     "application %s",
				     values[1], app->name);
			return NULL;
		}
		return am_apimgt_consumer_error (error, local, "subscription", values[1]), NULL;
	}
	am_km_cache_clear (ctx->km);
	location = g_strdup_printf ("/subscriptions/%s", sub->uuid);
	am_rest_call_set_created (call, location);
	return am_apimgt_subscription_json (sub);
}

static JsonNode *
get_subscription (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	const char *id = am_rest_call_param (call, "subscriptionId");
	g_autoptr (AmSubscriber) owner = store_owner (call, conn, error);
	g_autoptr (AmSubscription) sub = NULL;
	g_autoptr (GError) local = NULL;

	if (owner == NULL)
		return NULL;
	sub = am_consumer_sub_get (conn, owner, id, &local);
	if (sub == NULL)
		return am_apimgt_consumer_error (error, local, "subscription", id), NULL;
	return am_apimgt_subscription_json (sub);
}

static JsonNode *
delete_subscription (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	AmStoreCtx *ctx = data;
	const char *id = am_rest_call_param (call, "subscriptionId");
	g_autoptr (AmSubscriber) owner = store_owner (call, conn, error);
	g_autoptr (GError) local = NULL;

	if (owner == NULL)
		return NULL;
	if (!am_consumer_sub_delete (conn, owner, id, &local))
		return am_apimgt_consumer_error (error, local, "subscription", id), NULL;
	am_km_cache_clear (ctx->km);
	return NULL;
}

/* ---- /tiers, /tags ---- */

static JsonNode *
get_tiers (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	AmStoreCtx *ctx = data;

	/* the list and one tier */
	return am_apimgt_rest_get_tiers (call, conn, ctx->apim, AM_APIMGT_STORE, error);
}

/* TagList {count, next, previous, list [{name, weight}]}: the tags of the
 * APIs the caller may see in the Store, weight = how many carry it. */
static JsonNode *
get_tags (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	AmStoreCtx *ctx = data;
	g_auto (AmApimgtDb) s = { 0 };
	g_autoptr (GPtrArray) all = NULL;
	g_autoptr (GHashTable) weights = g_hash_table_new (g_str_hash, g_str_equal);
	g_autoptr (GList) names = NULL;
	g_auto (GStrv) roles = NULL;
	JsonArray *items;
	gint64 limit, offset, i = 0;

	if (!am_rest_call_pagination (call, &limit, &offset, error) ||
	    !am_apimgt_db_open (&s, ctx->reg_db, conn, FALSE, error))
		return NULL;
	roles = store_roles (ctx, call, error);
	if (roles == NULL)
		return NULL;
	all = am_api_store_search (s.apis, s.reg, s.am, NULL, error);
	if (all == NULL)
		return NULL;
	for (guint a = 0; a < all->len; a++) {
		AmApi *api = g_ptr_array_index (all, a);
		g_autoptr (GHashTable) once = g_hash_table_new (g_str_hash, g_str_equal);

		if (!am_store_status_listed (api->status, ctx->conf.display_all_apis) ||
		    !am_store_api_visible (api, am_rest_call_user (call),
					  (const char *const *) roles))
			continue;
		for (guint t = 0; api->tags != NULL && api->tags[t] != NULL; t++) {
			const char *tag = api->tags[t];

			if (!g_hash_table_add (once, (gpointer) tag))
				continue;
			g_hash_table_insert (
				weights, (gpointer) tag,
				GINT_TO_POINTER (GPOINTER_TO_INT (g_hash_table_lookup (weights, tag)) +
						 1));
		}
	}
	names = g_list_sort (g_hash_table_get_keys (weights), (GCompareFunc) g_strcmp0);
	items = json_array_new ();
	for (GList *l = names; l != NULL; l = l->next, i++) {
		JsonObject *o;

		if (i < offset || i >= offset + limit)
			continue;
		o = json_object_new ();
		json_object_set_string_member (o, "name", l->data);
		json_object_set_int_member (o, "weight",
					    GPOINTER_TO_INT (g_hash_table_lookup (weights, l->data)));
		json_array_add_object_element (items, o);
	}
	return am_rest_list (items, "/tags?limit=%limit&offset=%offset", offset, limit,
			     g_hash_table_size (weights));
}

/* ---- the route table ---- */

#define SUBSCRIBE "apim:subscribe"

const AmRestRoute am_store_routes[] = {
	{ "GET", "/apis", NULL, get_apis, 0 },
	{ "GET", "/apis/{apiId}", NULL, get_api, 0 },
	{ "GET", "/apis/{apiId}/swagger", NULL, get_api_swagger, 0 },
	{ "GET", "/applications", SUBSCRIBE, get_applications, 0 },
	{ "POST", "/applications", SUBSCRIBE, post_applications, AM_REST_BODY_JSON },
	{ "POST", "/applications/generate-keys", SUBSCRIBE, post_generate_keys,
	  AM_REST_BODY_JSON },
	{ "GET", "/applications/{applicationId}", SUBSCRIBE, get_application, 0 },
	{ "PUT", "/applications/{applicationId}", SUBSCRIBE, put_application, AM_REST_BODY_JSON },
	{ "DELETE", "/applications/{applicationId}", SUBSCRIBE, delete_application, 0 },
	{ "GET", "/subscriptions", SUBSCRIBE, get_subscriptions, 0 },
	{ "POST", "/subscriptions", SUBSCRIBE, post_subscriptions, AM_REST_BODY_JSON },
	{ "GET", "/subscriptions/{subscriptionId}", SUBSCRIBE, get_subscription, 0 },
	{ "DELETE", "/subscriptions/{subscriptionId}", SUBSCRIBE, delete_subscription, 0 },
	{ "GET", "/tiers/{tierLevel}", NULL, get_tiers, 0 },
	{ "GET", "/tiers/{tierLevel}/{tierName}", NULL, get_tiers, 0 },
	{ "GET", "/tags", NULL, get_tags, 0 },
	{ NULL },
};
