/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Publisher REST API /api/am/publisher/v0.11 of API-M 2.x
 * (wso2-db-rest.md §4.2): the route table and its handlers on the REST
 * plumbing (am-rest.h), the API storage (am-api-store.h), the consumer
 * layer (am-consumer.h), the tiers (am-tiers.h), the lifecycle
 * (am-pub-lifecycle.h) and the gateway client (am-pub-gateway.h).  What it
 * reproduces of the 2.x Publisher (rest.api.publisher ApisApiServiceImpl,
 * EnvironmentsApiServiceImpl, TiersApiServiceImpl,
 * SubscriptionsApiServiceImpl, ApplicationsApiServiceImpl, and
 * APIProviderImpl behind them):
 *
 *   - apiId is the registry UUID or "provider-name-version";
 *   - POST /apis: the provider is the caller unless it names another and
 *     the caller has the admin role (otherwise silently the caller, as
 *     apisPost overrides it); the tiers must be subscription policies
 *     ("Specified tier(s) [..] are invalid"); duplicates are 409;
 *   - change-lifecycle: the action must be allowed from the current state
 *     (400 with WSO2's "Action '<a>' is not allowed. Allowed actions are
 *     [..]"); a transition that puts the API on the gateways pushes it to
 *     every environment of its gatewayEnvironments, one that takes it off
 *     removes it from them; Publish on a PUBLISHED API (and Deploy as a
 *     Prototype on a PROTOTYPED one) pushes it again, which is how a
 *     failed environment is retried.  The state change is stored first
 *     and kept whatever the gateways answer; failures are logged and
 *     answered 200 with {"failedGateways": {"PUBLISHED": {env: reason},
 *     "UNPUBLISHED": {..}}} (the map of WSO2's FaultGatewaysException);
 *     success is an empty 200.  On the way to PUBLISHED the
 *     lifecycleChecklist's "Deprecate Old Versions:true" deprecates the
 *     older PUBLISHED versions, and unless "Require Re-Subscription:true"
 *     the subscriptions of the older versions (not RETIRED) are carried
 *     forward (makeAPIKeysForwardCompatible);
 *   - PUT /apis/{id} and PUT /apis/{id}/swagger of an API on the gateways
 *     (PUBLISHED, PROTOTYPED, DEPRECATED, BLOCKED) push it again to its
 *     environments and remove it from the ones deselected.  The update is
 *     stored whatever the gateways answer (as APIProviderImpl.updateAPI
 *     does before its FaultGatewaysException); a failure is answered
 *     500 with an ErrorDTO whose description is "Error while updating
 *     API : <id>" (the text WSO2 logs; its answer is the fixed 500 text,
 *     which would hide what to retry) and whose error items are
 *     {"code": "PUBLISHED"|"UNPUBLISHED", "message": "<env>: <reason>"};
 *   - DELETE /apis/{id}: 409 while subscriptions exist; an API on the
 *     gateways is removed from them first, and a failure there keeps the
 *     API (500 with the same items), so that the removal can be retried
 *     rather than leave an API nobody can undeploy;
 *   - block/unblock change SUB_STATUS and drop the Key Manager's
 *     validation cache.
 *
 * Handlers run on the REST worker pool with a borrowed WSO2AM_DB
 * connection; the registry is read and written on the same connection
 * when it lives in the same datasource, else on a connection of its own,
 * released before any gateway is called.
 */
#define G_LOG_DOMAIN "am.publisher"
#include "config.h"

#include "am-publisher.h"

#include <stdlib.h>
#include <string.h>

#include "am-api-store.h"
#include "am-apimgt-rest.h"
#include "am-pub-gateway.h"
#include "am-pub-lifecycle.h"
#include "am-pub-swagger.h"
#include "am-registry.h"

#define PUB_MAX_LIST G_MAXINT32

/* ---- shared helpers ---- */

/* The API storage on @conn; the registry's connection a writer one when @write. */
static gboolean
pub_db_open (AmApimgtDb *s, AmPublisherCtx *ctx, AmDbConn *conn, gboolean write, GError **error)
{
	return am_apimgt_db_open (s, ctx->reg_db, conn, write, error);
}

static gboolean
pub_missing (const char *s)
{
	return s == NULL || *s == '\0';
}

/* The storage layer's refusals as WSO2's answers. */
static gboolean
pub_store_error (GError **error, GError *cause, const AmApi *api)
{
	if (cause->domain == AM_API_STORE_ERROR) {
		switch ((AmApiStoreErrorCode) cause->code) {
		case AM_API_STORE_ERROR_DUPLICATE:
			g_set_error (error, AM_REST_ERROR, AM_REST_ERROR_EXISTS,
				     "Error occurred while adding the API. A duplicate API already "
				     "exists for %s-%s",
				     api->name, api->version);
			return FALSE;
		case AM_API_STORE_ERROR_CONTEXT_EXISTS:
			g_set_error (error, AM_REST_ERROR, AM_REST_ERROR_EXISTS,
				     "Error occurred while adding the API. A duplicate API context "
				     "already exists for %s",
				     api->context_template != NULL ? api->context_template
								   : api->context);
			return FALSE;
		case AM_API_STORE_ERROR_SCOPE_EXISTS:
		case AM_API_STORE_ERROR_INVALID:
		case AM_API_STORE_ERROR_BAD_QUERY:
			am_rest_bad_request (error, cause->message);
			return FALSE;
		case AM_API_STORE_ERROR_NOT_FOUND:
			am_rest_not_found (error, "API", api->id);
			return FALSE;
		case AM_API_STORE_ERROR_HAS_SUBSCRIPTIONS:
			g_set_error_literal (error, AM_REST_ERROR, AM_REST_ERROR_CONFLICT,
					     cause->message);
			return FALSE;
		default:
			break;
		}
	}
	g_propagate_error (error, g_error_copy (cause));
	return FALSE;
}

/* The tiers of @api must be subscription policies of the tenant
 * (ApisApiServiceImpl: "No tier defined for the API", "Specified tier(s)
 * [..] are invalid"). */
static gboolean
pub_check_tiers (AmPublisherCtx *ctx, AmRestCall *call, AmDbConn *conn, const AmApi *api,
		 GError **error)
{
	g_autoptr (GString) bad = g_string_new (NULL);

	if (api->tiers == NULL || api->tiers[0] == NULL) {
		if (g_strcmp0 (api->status, "PROTOTYPED") == 0)
			return TRUE;
		am_rest_bad_request (error, "No tier defined for the API");
		return FALSE;
	}
	for (guint i = 0; api->tiers[i] != NULL; i++) {
		gboolean exists = FALSE;

		if (!am_tiers_exists (conn, AM_TIER_LEVEL_SUBSCRIPTION, am_rest_call_tenant_id (call),
				      api->tiers[i], &exists, error))
			return FALSE;
		if (g_strcmp0 (api->tiers[i], "Unlimited") == 0 && ctx->apim != NULL &&
		    !ctx->apim->unlimited_tier)
			exists = FALSE;
		if (!exists)
			g_string_append_printf (bad, "%s%s", bad->len > 0 ? ", " : "",
						api->tiers[i]);
	}
	if (bad->len > 0) {
		g_autofree char *msg = g_strdup_printf ("Specified tier(s) [%s] are invalid",
							bad->str);

		am_rest_bad_request (error, msg);
		return FALSE;
	}
	return TRUE;
}

/* The API object of the request into @api, the validation items onto
 * the call's ErrorDTO. */
static gboolean
pub_parse_api (AmPublisherCtx *ctx, AmRestCall *call, AmApi *api, gboolean create,
	       GError **error)
{
	g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
	gboolean ok = am_pub_api_from_json (am_rest_call_json (call), api, create, ctx->apim,
					    items, error);

	for (guint i = 0; i + 1 < items->len; i += 2)
		am_rest_call_add_error_item (call, items->pdata[i], items->pdata[i + 1]);
	return ok;
}

/* ---- gateways ---- */

typedef struct {
	GPtrArray *published; /* AmPubGatewayResult */
	GPtrArray *removed;
} PubPush;

static void
pub_push_clear (PubPush *p)
{
	g_clear_pointer (&p->published, g_ptr_array_unref);
	g_clear_pointer (&p->removed, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PubPush, pub_push_clear)

/* One line for the operator when environments failed (the gateway client
 * has logged each one). */
static void
pub_log_failures (const AmApi *api, const GPtrArray *results, const char *what)
{
	guint n = 0;

	for (guint i = 0; results != NULL && i < results->len; i++)
		n += ((const AmPubGatewayResult *) g_ptr_array_index (results, i))->error != NULL;
	if (n > 0)
		g_warning ("API %s-%s-%s could not be %s %u of %u gateway environment(s)",
			   api->provider, api->name, api->version, what, n, results->len);
}

/* Deploy @api on @publish (NULL: its own environments; an empty list: none)
 * and remove it from @remove (NULL or empty: none). */
static void
pub_push (AmPublisherCtx *ctx, const AmApi *api, const char *const *publish,
	  const char *const *remove, PubPush *out)
{
	g_autoptr (AmPubGateways) gws =
		am_pub_gateways_new (ctx->apim, ctx->truststore, &ctx->synapse);

	if (publish == NULL || publish[0] != NULL) {
		out->published = am_pub_gateways_publish (gws, api, publish);
		pub_log_failures (api, out->published, "deployed on");
	}
	if (remove != NULL && remove[0] != NULL) {
		out->removed = am_pub_gateways_remove (gws, api, remove);
		pub_log_failures (api, out->removed, "removed from");
	}
}

/* The environments of @before that @after no longer has (NULL-terminated,
 * strings borrowed from @before). */
static GPtrArray *
pub_deselected (const AmApi *before, const AmApi *after)
{
	GPtrArray *gone = g_ptr_array_new ();

	for (guint i = 0; before->gateway_environments != NULL &&
			  before->gateway_environments[i] != NULL;
	     i++) {
		const char *env = before->gateway_environments[i];

		if (after->gateway_environments == NULL ||
		    !g_strv_contains ((const char *const *) after->gateway_environments, env))
			g_ptr_array_add (gone, (gpointer) env);
	}
	g_ptr_array_add (gone, NULL);
	return gone;
}

static void
pub_add_failure_items (AmRestCall *call, const GPtrArray *results, const char *code,
		       GPtrArray *items)
{
	for (guint i = 0; results != NULL && i < results->len; i++) {
		const AmPubGatewayResult *r = g_ptr_array_index (results, i);
		g_autofree char *msg = NULL;

		if (r->error == NULL)
			continue;
		msg = g_strdup_printf ("%s: %s", r->environment, r->error);
		g_ptr_array_add (items, g_strdup (code));
		g_ptr_array_add (items, g_steal_pointer (&msg));
	}
}

/* The 500 ErrorDTO of a change that the gateways did not all take:
 * @description and one item per failed environment. */
static JsonNode *
pub_gateway_error (AmRestCall *call, const char *description, const PubPush *push)
{
	g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_free);

	JsonNode *dto;
	JsonObject *o;
	JsonArray *list = json_array_new ();

	pub_add_failure_items (call, push->published, "PUBLISHED", items);
	pub_add_failure_items (call, push->removed, "UNPUBLISHED", items);
	am_rest_call_set_status (call, 500);
	/* WSO2 logs its description and answers the fixed 500 text; here the
	 * caller is told what failed, or a failure could not be retried */
	dto = am_rest_error_dto (500, description, NULL);
	o = json_node_get_object (dto);
	json_object_set_string_member (o, "description", description);
	for (guint i = 0; i + 1 < items->len; i += 2) {
		JsonObject *item = json_object_new ();

		json_object_set_string_member (item, "code", items->pdata[i]);
		json_object_set_string_member (item, "message", items->pdata[i + 1]);
		json_array_add_object_element (list, item);
	}
	json_object_set_array_member (o, "error", list);
	return dto;
}

static gboolean
pub_push_ok (const PubPush *push)
{
	return (push->published == NULL || am_pub_gateway_results_ok (push->published)) &&
	       (push->removed == NULL || am_pub_gateway_results_ok (push->removed));
}

static gboolean
pub_on_gateway (const AmApi *api)
{
	AmPubState state;

	return am_pub_state_from_string (api->status, &state) && am_pub_state_on_gateway (state);
}

/* After an update of @before to @after (stored): push @after again when
 * it is on the gateways, remove it from deselected environments.  NULL
 * when every gateway took it (or nothing was to be done), else the 500
 * ErrorDTO to answer. */
static JsonNode *
pub_redeploy (AmPublisherCtx *ctx, AmRestCall *call, const AmApi *before, const AmApi *after)
{
	g_auto (PubPush) push = { 0 };
	g_autoptr (GPtrArray) gone = NULL;
	g_autofree char *description = NULL;

	if (!pub_on_gateway (after))
		return NULL;
	gone = pub_deselected (before, after);
	pub_push (ctx, after, NULL, (const char *const *) gone->pdata, &push);
	if (pub_push_ok (&push))
		return NULL;
	description = g_strdup_printf ("Error while updating API : %s", after->id);
	return pub_gateway_error (call, description, &push);
}

/* ---- /apis ---- */

static JsonNode *
pub_api_info_item (gconstpointer api, gconstpointer data)
{
	return am_pub_api_info_json (api);
}

static JsonNode *
get_apis (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	AmPublisherCtx *ctx = data;
	const char *query = am_rest_call_query (call, "query");
	g_auto (AmApimgtDb) s = { 0 };
	g_autoptr (GPtrArray) all = NULL;
	g_autofree char *url = NULL;
	gint64 limit, offset;

	if (!am_rest_call_pagination (call, &limit, &offset, error) ||
	    !pub_db_open (&s, ctx, conn, FALSE, error))
		return NULL;
	all = am_apimgt_db_search (&s, query, error);
	if (all == NULL)
		return NULL;
	url = am_apimgt_rest_list_url ("/apis", "query", query);
	return am_rest_list_slice (all, offset, limit, pub_api_info_item, NULL, url);
}

/* Whether @user has the admin role (APIM_ADMIN permission). */
static gboolean
pub_is_admin (AmPublisherCtx *ctx, const char *user)
{
	g_autoptr (GError) local = NULL;
	g_auto (GStrv) roles = NULL;

	if (ctx->us == NULL || user == NULL)
		return FALSE;
	roles = am_userstore_get_roles (ctx->us, user, &local);
	for (guint i = 0; roles != NULL && roles[i] != NULL; i++)
		if (g_ascii_strcasecmp (roles[i], "admin") == 0)
			return TRUE;
	return FALSE;
}

static JsonNode *
pub_api_reloaded (AmApimgtDb *s, const char *id, GError **error)
{
	g_autoptr (AmApi) api = am_apimgt_db_find_api (s, id, error);

	return api != NULL ? am_pub_api_json (api) : NULL;
}

static JsonNode *
post_apis (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	AmPublisherCtx *ctx = data;
	const char *user = am_rest_call_user (call);
	g_autoptr (AmApi) api = am_api_new ();
	g_auto (AmApimgtDb) s = { 0 };
	g_autoptr (GError) local = NULL;
	g_autofree char *location = NULL;

	if (!pub_parse_api (ctx, call, api, TRUE, error))
		return NULL;
	/* another provider only for an admin; otherwise the caller */
	if (api->provider == NULL || g_strcmp0 (api->provider, user) != 0) {
		if (api->provider == NULL || !pub_is_admin (ctx, user)) {
			g_free (api->provider);
			api->provider = g_strdup (user);
		}
	}
	if (!pub_check_tiers (ctx, call, conn, api, error) ||
	    !pub_db_open (&s, ctx, conn, TRUE, error))
		return NULL;
	if (!am_api_store_create (s.apis, s.reg, s.am, api, user, &local))
		return pub_store_error (error, local, api), NULL;
	g_message ("API %s-%s-%s created by %s", api->provider, api->name, api->version, user);
	location = g_strdup_printf ("/apis/%s", api->id);
	am_rest_call_set_created (call, location);
	return pub_api_reloaded (&s, api->id, error);
}

static JsonNode *
get_api (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	g_auto (AmApimgtDb) s = { 0 };
	g_autoptr (AmApi) api = NULL;

	if (!pub_db_open (&s, data, conn, FALSE, error))
		return NULL;
	api = am_apimgt_db_find_api (&s, am_rest_call_param (call, "apiId"), error);
	return api != NULL ? am_pub_api_json (api) : NULL;
}

/* Store @after (an edited copy of @before), then redeploy; the API object,
 * or the 500 of failed gateways. */
static JsonNode *
pub_update (AmPublisherCtx *ctx, AmRestCall *call, AmApimgtDb *s, const AmApi *before, AmApi *after,
	    gboolean swagger_reply, GError **error)
{
	g_autoptr (GError) local = NULL;
	g_autoptr (AmApi) stored = NULL;
	JsonNode *failed;

	if (!am_api_store_update (s->apis, s->reg, s->am, after, am_rest_call_user (call), &local))
		return pub_store_error (error, local, after), NULL;
	stored = am_apimgt_db_find_api (s, after->id, error);
	if (stored == NULL)
		return NULL;
	/* the registry connection is not held while the gateways answer */
	g_clear_pointer (&s->own_reg, am_db_release);
	failed = pub_redeploy (ctx, call, before, stored);
	if (failed != NULL)
		return failed;
	if (swagger_reply && stored->swagger != NULL) {
		/* PUT .../swagger answers with the definition now stored */
		g_autoptr (GBytes) body = g_bytes_new (stored->swagger, strlen (stored->swagger));

		am_rest_call_set_raw (call, "application/json", body);
		return NULL;
	}
	return am_pub_api_json (stored);
}

static JsonNode *
put_api (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	AmPublisherCtx *ctx = data;
	g_auto (AmApimgtDb) s = { 0 };
	g_autoptr (AmApi) before = NULL;
	g_autoptr (AmApi) after = NULL;

	if (!pub_db_open (&s, ctx, conn, TRUE, error))
		return NULL;
	before = am_apimgt_db_find_api (&s, am_rest_call_param (call, "apiId"), error);
	if (before == NULL)
		return NULL;
	after = am_api_copy (before);
	if (!pub_parse_api (ctx, call, after, FALSE, error) ||
	    !pub_check_tiers (ctx, call, conn, after, error))
		return NULL;
	g_free (after->id);
	after->id = g_strdup (before->id);
	return pub_update (ctx, call, &s, before, after, FALSE, error);
}

static JsonNode *
delete_api (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	AmPublisherCtx *ctx = data;
	const char *id = am_rest_call_param (call, "apiId");
	g_auto (AmApimgtDb) s = { 0 };
	g_autoptr (AmApi) api = NULL;
	g_autoptr (GPtrArray) subs = NULL;
	g_autoptr (GError) local = NULL;
	guint total = 0;

	if (!pub_db_open (&s, ctx, conn, TRUE, error))
		return NULL;
	api = am_apimgt_db_find_api (&s, id, error);
	if (api == NULL)
		return NULL;
	if (api->db_id != 0) {
		subs = am_consumer_sub_list_by_api (conn, api->db_id, 0, 1, &total, error);
		if (subs == NULL)
			return NULL;
		if (total > 0) {
			g_set_error (error, AM_REST_ERROR, AM_REST_ERROR_CONFLICT,
				     "Cannot remove the API %s as active subscriptions exist", id);
			return NULL;
		}
	}
	if (pub_on_gateway (api)) {
		g_auto (PubPush) push = { 0 };
		g_autofree char *description = NULL;

		/* neither transaction is open here: nothing waits on the gateways */
		am_db_rollback (conn, NULL);
		if (s.own_reg != NULL)
			am_db_rollback (s.own_reg, NULL);
		pub_push (ctx, api, (const char *const[]) { NULL },
			  (const char *const *) api->gateway_environments, &push);
		if (!pub_push_ok (&push)) {
			description = g_strdup_printf ("Error while deleting API : %s", id);
			return pub_gateway_error (call, description, &push);
		}
	}
	if (!am_api_store_delete (s.apis, s.reg, s.am, api->id, &local))
		return pub_store_error (error, local, api), NULL;
	am_km_cache_clear (ctx->km);
	g_message ("API %s-%s-%s deleted by %s", api->provider, api->name, api->version,
		   am_rest_call_user (call));
	return NULL;
}

/* ---- swagger ---- */

static JsonNode *
get_api_swagger (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	g_auto (AmApimgtDb) s = { 0 };
	g_autoptr (AmApi) api = NULL;
	g_autoptr (GBytes) body = NULL;
	char *text;

	if (!pub_db_open (&s, data, conn, FALSE, error))
		return NULL;
	api = am_apimgt_db_find_api (&s, am_rest_call_param (call, "apiId"), error);
	if (api == NULL)
		return NULL;
	text = api->swagger != NULL ? g_strdup (api->swagger) : am_pub_swagger_generate (api, TRUE);
	body = g_bytes_new_take (text, strlen (text));
	am_rest_call_set_raw (call, "application/json", body);
	return NULL;
}

/* The form field @name of a multipart/form-data or
 * application/x-www-form-urlencoded body; NULL when absent. */
static char *
pub_form_field (AmRestCall *call, const char *name)
{
	const char *type = NULL;
	GBytes *body = am_rest_call_body (call, &type);
	g_autoptr (GHashTable) fields = NULL;

	if (body == NULL || type == NULL)
		return NULL;
	if (g_ascii_strncasecmp (type, "multipart/form-data", 19) == 0) {
		g_autoptr (SoupMessageHeaders) headers =
			soup_message_headers_new (SOUP_MESSAGE_HEADERS_MULTIPART);
		g_autoptr (SoupMultipart) multipart = NULL;

		/* the whole header: its boundary parameter is needed */
		soup_message_headers_replace (headers, "Content-Type",
					      am_rest_call_header (call, "Content-Type"));
		multipart = soup_multipart_new_from_message (headers, body);
		if (multipart == NULL)
			return NULL;
		for (int i = 0; i < soup_multipart_get_length (multipart); i++) {
			SoupMessageHeaders *part_headers = NULL;
			GBytes *part_body = NULL;
			g_autoptr (GHashTable) params = NULL;
			const char *part_name;

			if (!soup_multipart_get_part (multipart, i, &part_headers, &part_body) ||
			    !soup_message_headers_get_content_disposition (part_headers, NULL,
									   &params))
				continue;
			part_name = g_hash_table_lookup (params, "name");
			if (g_strcmp0 (part_name, name) == 0) {
				gsize len;
				const char *data = g_bytes_get_data (part_body, &len);

				return g_strndup (data, len);
			}
		}
		return NULL;
	}
	if (g_ascii_strncasecmp (type, "application/x-www-form-urlencoded", 33) == 0) {
		gsize len;
		const char *data = g_bytes_get_data (body, &len);
		g_autofree char *text = g_strndup (data, len);

		fields = soup_form_decode (text);
		return g_strdup (g_hash_table_lookup (fields, name));
	}
	return NULL;
}

static JsonNode *
put_api_swagger (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	AmPublisherCtx *ctx = data;
	g_auto (AmApimgtDb) s = { 0 };
	g_autoptr (AmApi) before = NULL;
	g_autoptr (AmApi) after = NULL;
	g_autofree char *definition = pub_form_field (call, "apiDefinition");
	g_autoptr (GError) local = NULL;

	if (definition == NULL) {
		am_rest_call_add_invalid (call, "apiDefinition", "may not be null");
		return am_rest_validation_error (error), NULL;
	}
	if (!pub_db_open (&s, ctx, conn, TRUE, error))
		return NULL;
	before = am_apimgt_db_find_api (&s, am_rest_call_param (call, "apiId"), error);
	if (before == NULL)
		return NULL;
	after = am_api_copy (before);
	if (!am_pub_swagger_apply (after, definition, &local)) {
		am_rest_bad_request (error, local->message);
		return NULL;
	}
	return pub_update (ctx, call, &s, before, after, TRUE, error);
}

/* ---- lifecycle ---- */

/* "1.10.0" > "1.9.0": numeric parts compared as numbers, others as text. */
static int
pub_version_cmp (const char *a, const char *b)
{
	g_auto (GStrv) pa = g_strsplit (a, ".", -1);
	g_auto (GStrv) pb = g_strsplit (b, ".", -1);
	guint i;

	for (i = 0; pa[i] != NULL && pb[i] != NULL; i++) {
		char *ea, *eb;
		gint64 na = g_ascii_strtoll (pa[i], &ea, 10);
		gint64 nb = g_ascii_strtoll (pb[i], &eb, 10);
		int c;

		if (*ea == '\0' && *eb == '\0' && *pa[i] != '\0' && *pb[i] != '\0')
			c = na < nb ? -1 : na > nb;
		else
			c = strcmp (pa[i], pb[i]);
		if (c != 0)
			return c;
	}
	return pa[i] != NULL ? 1 : pb[i] != NULL ? -1 : 0;
}

/* Whether the checklist ("Deprecate Old Versions:true,Require
 * Re-Subscription:true") turns @item on. */
static gboolean
pub_checklist_on (const char *checklist, const char *item)
{
	g_auto (GStrv) parts = checklist != NULL ? g_strsplit (checklist, ",", -1) : NULL;

	for (guint i = 0; parts != NULL && parts[i] != NULL; i++) {
		g_auto (GStrv) kv = g_strsplit (parts[i], ":", 2);

		if (kv[0] != NULL && kv[1] != NULL &&
		    g_ascii_strcasecmp (g_strstrip (kv[0]), item) == 0 &&
		    g_ascii_strcasecmp (g_strstrip (kv[1]), "true") == 0)
			return TRUE;
	}
	return FALSE;
}

/* APIExecutor's "Deprecate Old Versions": the older PUBLISHED versions of
 * @api go to DEPRECATED (still served: nothing to redeploy). */
static gboolean
pub_deprecate_old_versions (AmApimgtDb *s, const AmApi *api, const char *user, GError **error)
{
	g_autofree char *query = g_strdup_printf ("provider:%s", api->provider);
	g_autoptr (GPtrArray) all = am_api_store_search (s->apis, s->reg, s->am, query, error);

	if (all == NULL)
		return FALSE;
	for (guint i = 0; i < all->len; i++) {
		const AmApi *old = g_ptr_array_index (all, i);

		if (g_strcmp0 (old->name, api->name) != 0 ||
		    g_strcmp0 (old->provider, api->provider) != 0 ||
		    g_strcmp0 (old->status, "PUBLISHED") != 0 ||
		    pub_version_cmp (old->version, api->version) >= 0)
			continue;
		if (!am_api_store_change_status (s->apis, s->reg, s->am, old->id, "DEPRECATED",
						 user, error))
			return FALSE;
		g_message ("API %s-%s-%s deprecated by the publication of version %s",
			   old->provider, old->name, old->version, api->version);
	}
	return TRUE;
}

/* The other versions of @api (same provider and name) older than it, not
 * RETIRED, newest first. */
static GPtrArray *
pub_older_versions (AmApimgtDb *s, const AmApi *api, GError **error)
{
	g_autofree char *query = g_strdup_printf ("provider:%s", api->provider);
	g_autoptr (GPtrArray) all = am_api_store_search (s->apis, s->reg, s->am, query, error);
	GPtrArray *older;

	if (all == NULL)
		return NULL;
	older = g_ptr_array_new_with_free_func ((GDestroyNotify) am_api_free);
	for (guint i = 0; i < all->len; i++) {
		AmApi *other = g_ptr_array_index (all, i);

		if (g_strcmp0 (other->name, api->name) == 0 &&
		    g_strcmp0 (other->provider, api->provider) == 0 &&
		    g_strcmp0 (other->status, "RETIRED") != 0 &&
		    pub_version_cmp (other->version, api->version) < 0)
			g_ptr_array_add (older, am_api_copy (other));
	}
	for (guint i = 1; i < older->len; i++) /* insertion sort, newest first */
		for (guint j = i; j > 0 && pub_version_cmp (((AmApi *) older->pdata[j - 1])->version,
							  ((AmApi *) older->pdata[j])->version) < 0;
		     j--) {
			gpointer t = older->pdata[j];

			older->pdata[j] = older->pdata[j - 1];
			older->pdata[j - 1] = t;
		}
	return older;
}

/* APIProviderImpl.makeAPIKeysForwardCompatible (publishing without
 * "Require Re-Subscription"): the subscriptions of the older versions, the
 * newest first, are made to @api too, on the same tier when @api offers
 * it; one the application already has is left alone. */
static gboolean
pub_forward_subscriptions (AmApimgtDb *s, AmRestCall *call, const AmApi *api, GError **error)
{
	g_autoptr (GPtrArray) older = pub_older_versions (s, api, error);
	guint n = 0;

	if (older == NULL)
		return FALSE;
	for (guint i = 0; i < older->len; i++) {
		const AmApi *old = g_ptr_array_index (older, i);
		g_autoptr (GPtrArray) subs = NULL;

		if (old->db_id == 0)
			continue;
		subs = am_consumer_sub_list_by_api (s->am, old->db_id, 0, 0, NULL, error);
		if (subs == NULL)
			return FALSE;
		for (guint j = 0; j < subs->len; j++) {
			const AmSubscription *sub = g_ptr_array_index (subs, j);
			g_autoptr (AmApplication) app = NULL;
			g_autoptr (AmSubscriber) owner = NULL;
			g_autoptr (AmSubscription) made = NULL;
			g_autoptr (GError) local = NULL;

			if (g_strcmp0 (sub->status, "ON_HOLD") == 0 ||
			    g_strcmp0 (sub->status, "REJECTED") == 0)
				continue;
			app = am_consumer_app_get (s->am, NULL, sub->application_uuid, error);
			if (app == NULL)
				return FALSE;
			owner = am_consumer_subscriber_get (s->am, app->subscriber,
							    am_rest_call_tenant_id (call), error);
			if (owner == NULL) {
				if (error != NULL && *error != NULL)
					return FALSE;
				continue;
			}
			made = am_consumer_sub_create (s->am, owner, app, api->db_id, sub->tier,
						       (const char *const *) api->tiers, &local);
			if (made != NULL) {
				n++;
				continue;
			}
			if (!g_error_matches (local, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_SUB_EXISTS) &&
			    !g_error_matches (local, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_SUB_BLOCKED) &&
			    !g_error_matches (local, AM_CONSUMER_ERROR, AM_CONSUMER_ERROR_BAD_TIER)) {
				g_propagate_error (error, g_steal_pointer (&local));
				return FALSE;
			}
		}
	}
	if (n > 0)
		g_message ("API %s-%s-%s: %u subscription(s) of older versions carried forward",
			   api->provider, api->name, api->version, n);
	return TRUE;
}

static JsonNode *
post_change_lifecycle (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	AmPublisherCtx *ctx = data;
	static const char *const required[] = { "action", "apiId", NULL };
	const char *action = am_rest_call_query (call, "action");
	const char *id = am_rest_call_query (call, "apiId");
	const char *user = am_rest_call_user (call);
	g_auto (AmApimgtDb) s = { 0 };
	g_autoptr (AmApi) api = NULL;
	g_autoptr (GError) local = NULL;
	g_auto (PubPush) push = { 0 };
	AmPubState from, to;
	AmPubGatewayOp op;
	JsonNode *failed;
	JsonObject *o;

	if (!am_rest_call_require_query (call, required, error) ||
	    !pub_db_open (&s, ctx, conn, TRUE, error))
		return NULL;
	api = am_apimgt_db_find_api (&s, id, error);
	if (api == NULL)
		return NULL;
	if (!am_pub_state_from_string (api->status, &from)) {
		g_set_error (error, AM_REST_ERROR, AM_REST_ERROR_INTERNAL,
			     "API %s has the unknown status '%s'", id, api->status);
		return NULL;
	}
	if (!am_pub_lifecycle_next (from, action, &to, &local)) {
		am_rest_bad_request (error, local->message);
		return NULL;
	}
	op = am_pub_lifecycle_gateway_op (from, to);
	if (from == to && am_pub_state_on_gateway (to))
		op = AM_PUB_GATEWAY_PUBLISH; /* Publish again: the retry of failed gateways */
	if (from != to) {
		if (!am_api_store_change_status (s.apis, s.reg, s.am, api->id,
						 am_pub_state_to_string (to), user, &local))
			return pub_store_error (error, local, api), NULL;
		g_message ("API %s-%s-%s: %s -> %s (%s) by %s", api->provider, api->name,
			   api->version, am_pub_state_to_string (from), am_pub_state_to_string (to),
			   action, user);
	}
	if (to == AM_PUB_STATE_PUBLISHED && from != to) {
		const char *checklist = am_rest_call_query (call, "lifecycleChecklist");

		if (!pub_checklist_on (checklist, "Require Re-Subscription") &&
		    !pub_forward_subscriptions (&s, call, api, error))
			return NULL;
		if (pub_checklist_on (checklist, "Deprecate Old Versions") &&
		    !pub_deprecate_old_versions (&s, api, user, error))
			return NULL;
	}
	/* the API as the gateways get it: the new state decides its handlers */
	g_free (api->status);
	api->status = g_strdup (am_pub_state_to_string (to));
	g_clear_pointer (&s.own_reg, am_db_release);
	am_db_rollback (conn, NULL);
	if (op == AM_PUB_GATEWAY_PUBLISH)
		pub_push (ctx, api, NULL, NULL, &push);
	else if (op == AM_PUB_GATEWAY_REMOVE)
		pub_push (ctx, api, (const char *const[]) { NULL },
			  (const char *const *) api->gateway_environments, &push);
	/* a BLOCKED or RETIRED API must not be validated from the cache */
	am_km_cache_clear (ctx->km);
	failed = am_pub_failed_gateways_json (push.published, push.removed);
	if (failed == NULL)
		return NULL;
	o = json_object_new ();
	json_object_set_member (o, "failedGateways", failed);
	return json_node_init_object (json_node_alloc (), o);
}

/* POST /apis/copy-api?newVersion=&apiId=: the API as a new version in
 * state CREATED (APIProviderImpl.createNewAPIVersion). */
static JsonNode *
post_copy_api (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	AmPublisherCtx *ctx = data;
	static const char *const required[] = { "newVersion", "apiId", NULL };
	const char *version = am_rest_call_query (call, "newVersion");
	const char *id = am_rest_call_query (call, "apiId");
	g_auto (AmApimgtDb) s = { 0 };
	g_autoptr (AmApi) api = NULL;
	g_autoptr (AmApi) copy = NULL;
	g_autoptr (GError) local = NULL;
	g_autofree char *location = NULL;

	if (!am_rest_call_require_query (call, required, error) ||
	    !pub_db_open (&s, ctx, conn, TRUE, error))
		return NULL;
	api = am_apimgt_db_find_api (&s, id, error);
	if (api == NULL)
		return NULL;
	copy = am_api_copy (api);
	g_clear_pointer (&copy->id, g_free);
	copy->db_id = 0;
	g_free (copy->version);
	copy->version = g_strdup (version);
	g_free (copy->status);
	copy->status = g_strdup ("CREATED");
	copy->is_default_version = FALSE;
	if (copy->context_template != NULL && strstr (copy->context_template, "{version}") == NULL)
		g_clear_pointer (&copy->context_template, g_free);
	g_clear_pointer (&copy->context, g_free);
	if (copy->context_template == NULL) {
		g_autofree char *base = am_pub_json_context (api);

		copy->context_template = g_strconcat (base, "/{version}", NULL);
	}
	/* the definition's info.version follows */
	if (copy->swagger != NULL) {
		g_autoptr (JsonParser) parser = json_parser_new ();

		if (json_parser_load_from_data (parser, copy->swagger, -1, NULL) &&
		    JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
			JsonObject *root = json_node_get_object (json_parser_get_root (parser));
			JsonNode *info = json_object_get_member (root, "info");

			if (info != NULL && JSON_NODE_HOLDS_OBJECT (info)) {
				json_object_set_string_member (json_node_get_object (info),
							       "version", version);
				g_free (copy->swagger);
				copy->swagger = am_rest_json_text (json_parser_get_root (parser));
			}
		}
	}
	if (!am_api_store_create (s.apis, s.reg, s.am, copy, am_rest_call_user (call), &local)) {
		if (g_error_matches (local, AM_API_STORE_ERROR, AM_API_STORE_ERROR_DUPLICATE)) {
			g_set_error (error, AM_REST_ERROR, AM_REST_ERROR_EXISTS,
				     "Version %s exists for api %s", version, api->name);
			return NULL;
		}
		return pub_store_error (error, local, copy), NULL;
	}
	g_message ("API %s-%s-%s copied to version %s by %s", api->provider, api->name,
		   api->version, version, am_rest_call_user (call));
	location = g_strdup_printf ("/apis/%s", copy->id);
	am_rest_call_set_created (call, location);
	return pub_api_reloaded (&s, copy->id, error);
}

/* ---- /environments ---- */

static JsonNode *
get_environments (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	AmPublisherCtx *ctx = data;
	const char *id = am_rest_call_query (call, "apiId");
	g_autoptr (AmApi) api = NULL;
	JsonArray *items = json_array_new ();
	JsonObject *o;

	if (!pub_missing (id)) {
		g_auto (AmApimgtDb) s = { 0 };

		if (!pub_db_open (&s, ctx, conn, FALSE, error) ||
		    (api = am_apimgt_db_find_api (&s, id, error)) == NULL) {
			json_array_unref (items);
			return NULL;
		}
	}
	for (guint i = 0; ctx->apim != NULL && ctx->apim->environments != NULL &&
			  i < ctx->apim->environments->len;
	     i++) {
		const AmEnvironmentConf *env = g_ptr_array_index (ctx->apim->environments, i);

		/* a WebSocket API only goes where there is a WebSocket endpoint */
		if (api != NULL && g_strcmp0 (api->type, "WS") == 0 && pub_missing (env->ws_endpoint))
			continue;
		json_array_add_element (items, am_pub_environment_json (env));
	}
	o = json_object_new ();
	json_object_set_int_member (o, "count", json_array_get_length (items));
	json_object_set_array_member (o, "list", items);
	return json_node_init_object (json_node_alloc (), o);
}

/* ---- /tiers ---- */

static JsonNode *
get_tiers (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	AmPublisherCtx *ctx = data;

	/* the list and one tier */
	return am_apimgt_rest_get_tiers (call, conn, ctx->apim, AM_APIMGT_PUBLISHER, error);
}

/* ---- /subscriptions, /applications ---- */

static JsonNode *
get_subscriptions (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	AmPublisherCtx *ctx = data;
	const char *id = am_rest_call_query (call, "apiId");
	g_auto (AmApimgtDb) s = { 0 };
	g_autoptr (GPtrArray) subs = g_ptr_array_new_with_free_func (
		(GDestroyNotify) am_subscription_free);
	g_autofree char *url = NULL;
	gint64 limit, offset;

	if (!am_rest_call_pagination (call, &limit, &offset, error) ||
	    !pub_db_open (&s, ctx, conn, FALSE, error))
		return NULL;
	if (!pub_missing (id)) {
		g_autoptr (AmApi) api = am_apimgt_db_find_api (&s, id, error);
		GPtrArray *found;

		if (api == NULL)
			return NULL;
		found = am_consumer_sub_list_by_api (conn, api->db_id, 0, 0, NULL, error);
		if (found == NULL)
			return NULL;
		g_ptr_array_extend_and_steal (subs, found);
	} else {
		/* every subscription to the caller's APIs (getAllAPIUsageByProvider) */
		g_autofree char *query =
			g_strdup_printf ("provider:%s", am_rest_call_user (call));
		g_autoptr (GPtrArray) apis = am_api_store_search (s.apis, s.reg, s.am, query, error);

		if (apis == NULL)
			return NULL;
		for (guint i = 0; i < apis->len; i++) {
			const AmApi *api = g_ptr_array_index (apis, i);
			GPtrArray *found;

			if (api->db_id == 0)
				continue;
			found = am_consumer_sub_list_by_api (conn, api->db_id, 0, 0, NULL, error);
			if (found == NULL)
				return NULL;
			g_ptr_array_extend_and_steal (subs, found);
		}
	}
	url = am_apimgt_rest_list_url ("/subscriptions", "apiId", id);
	return am_rest_list_slice (subs, offset, limit, am_apimgt_rest_subscription_item, NULL,
				   url);
}

/* The Subscription object of subscription @id, as stored now. */
static JsonNode *
pub_subscription (AmDbConn *conn, const char *id, GError **error)
{
	g_autoptr (GError) local = NULL;
	g_autoptr (AmSubscription) sub = am_consumer_sub_get (conn, NULL, id, &local);

	if (sub == NULL)
		return am_apimgt_consumer_error (error, local, "subscription", id), NULL;
	return am_apimgt_subscription_json (sub);
}

static JsonNode *
get_subscription (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	return pub_subscription (conn, am_rest_call_param (call, "subscriptionId"), error);
}

static JsonNode *
pub_block (AmRestCall *call, AmDbConn *conn, AmPublisherCtx *ctx, gboolean block,
	   GError **error)
{
	static const char *const block_required[] = { "subscriptionId", "blockState", NULL };
	static const char *const unblock_required[] = { "subscriptionId", NULL };
	const char *id = am_rest_call_query (call, "subscriptionId");
	const char *state = am_rest_call_query (call, "blockState");
	g_autoptr (GError) local = NULL;
	gboolean ok;

	if (!am_rest_call_require_query (call, block ? block_required : unblock_required, error))
		return NULL;
	if (block && g_strcmp0 (state, "BLOCKED") != 0 &&
	    g_strcmp0 (state, "PROD_ONLY_BLOCKED") != 0) {
		am_rest_call_add_invalid (call, "blockState",
					  "must be BLOCKED or PROD_ONLY_BLOCKED");
		return am_rest_validation_error (error), NULL;
	}
	ok = block ? am_consumer_sub_block (conn, id, g_strcmp0 (state, "PROD_ONLY_BLOCKED") == 0,
					    am_rest_call_user (call), &local)
		   : am_consumer_sub_unblock (conn, id, am_rest_call_user (call), &local);
	if (!ok)
		return am_apimgt_consumer_error (error, local, "subscription", id), NULL;
	am_km_cache_clear (ctx->km);
	return pub_subscription (conn, id, error);
}

static JsonNode *
post_block_subscription (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	return pub_block (call, conn, data, TRUE, error);
}

static JsonNode *
post_unblock_subscription (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	return pub_block (call, conn, data, FALSE, error);
}

static JsonNode *
get_application (AmRestCall *call, AmDbConn *conn, gpointer data, GError **error)
{
	const char *id = am_rest_call_param (call, "applicationId");
	g_autoptr (GError) local = NULL;
	g_autoptr (AmApplication) app = am_consumer_app_get (conn, NULL, id, &local);

	if (app == NULL)
		return am_apimgt_consumer_error (error, local, "application", id), NULL;
	return am_pub_application_json (app);
}

/* ---- the route table (scopes: wso2-db-rest.md §4.1, 2.1) ---- */

#define VIEW "apim:api_view"
#define CREATE "apim:api_create"
#define PUBLISH "apim:api_publish"

const AmRestRoute am_publisher_routes[] = {
	{ "GET", "/apis", VIEW, get_apis, 0 },
	{ "POST", "/apis", CREATE, post_apis, AM_REST_BODY_JSON },
	{ "POST", "/apis/change-lifecycle", PUBLISH, post_change_lifecycle, 0 },
	{ "POST", "/apis/copy-api", CREATE, post_copy_api, 0 },
	{ "GET", "/apis/{apiId}", VIEW, get_api, 0 },
	{ "PUT", "/apis/{apiId}", CREATE, put_api, AM_REST_BODY_JSON },
	{ "DELETE", "/apis/{apiId}", CREATE, delete_api, 0 },
	{ "GET", "/apis/{apiId}/swagger", VIEW, get_api_swagger, 0 },
	{ "PUT", "/apis/{apiId}/swagger", CREATE, put_api_swagger, AM_REST_BODY_RAW },
	{ "GET", "/environments", VIEW, get_environments, 0 },
	{ "GET", "/tiers/{tierLevel}", "apim:tier_view", get_tiers, 0 },
	{ "GET", "/tiers/{tierLevel}/{tierName}", "apim:tier_view", get_tiers, 0 },
	{ "GET", "/subscriptions", "apim:subscription_view", get_subscriptions, 0 },
	{ "GET", "/subscriptions/{subscriptionId}", "apim:subscription_view", get_subscription, 0 },
	{ "POST", "/subscriptions/block-subscription", "apim:subscription_block",
	  post_block_subscription, 0 },
	{ "POST", "/subscriptions/unblock-subscription", "apim:subscription_block",
	  post_unblock_subscription, 0 },
	{ "GET", "/applications/{applicationId}", CREATE, get_application, 0 },
	{ NULL },
};
