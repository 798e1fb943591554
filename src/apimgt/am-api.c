/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Publisher/Store API model (am-api.h): construction with WSO2's
 * defaults, deep copy, free, and the small naming conversions WSO2 applies
 * between its stores (AUTH_SCHEME vs swagger x-auth-type, "-AT-" provider
 * names in registry paths, the "provider-name-version" identifier that
 * APIMappingUtil accepts in place of a UUID).
 */
#define G_LOG_DOMAIN "am.apimgt"
#include "config.h"

#include "am-api.h"

#include <string.h>

AmApi *
am_api_new (void)
{
	AmApi *api = g_new0 (AmApi, 1);
	const char *const transports[] = { "http", "https", NULL };

	api->status = g_strdup ("CREATED");
	api->type = g_strdup ("HTTP");
	api->transports = g_strdupv ((char **) transports);
	api->visibility = g_strdup ("public");
	api->cache_timeout = 300;
	api->max_tps_production = -1;
	api->max_tps_sandbox = -1;
	api->subscription_availability = g_strdup ("current_tenant");
	api->operations = g_ptr_array_new_with_free_func ((GDestroyNotify) am_api_operation_free);
	api->scopes = g_ptr_array_new_with_free_func ((GDestroyNotify) am_api_scope_free);
	return api;
}

AmApiOperation *
am_api_operation_new (const char *url_pattern, const char *http_method, AmApiAuthType auth_type,
		      const char *throttling_tier, const char *scope)
{
	AmApiOperation *op = g_new0 (AmApiOperation, 1);

	op->url_pattern = g_strdup (url_pattern);
	op->http_method = g_ascii_strup (http_method, -1);
	op->auth_type = auth_type;
	op->throttling_tier = g_strdup (throttling_tier ? throttling_tier : "Unlimited");
	op->scope = g_strdup (scope);
	return op;
}

void
am_api_operation_free (AmApiOperation *op)
{
	if (!op)
		return;
	g_free (op->url_pattern);
	g_free (op->http_method);
	g_free (op->throttling_tier);
	g_free (op->scope);
	g_free (op);
}

AmApiScope *
am_api_scope_new (const char *key, const char *name, const char *description,
		  const char *const *roles)
{
	AmApiScope *scope = g_new0 (AmApiScope, 1);
	const char *const none[] = { NULL };

	scope->key = g_strdup (key);
	scope->name = g_strdup (name ? name : key);
	scope->description = g_strdup (description);
	scope->roles = g_strdupv ((char **) (roles ? roles : none));
	return scope;
}

void
am_api_scope_free (AmApiScope *scope)
{
	if (!scope)
		return;
	g_free (scope->key);
	g_free (scope->name);
	g_free (scope->description);
	g_strfreev (scope->roles);
	g_free (scope);
}

static void
api_cors_clear (AmApiCors *cors)
{
	g_clear_pointer (&cors->allow_origins, g_strfreev);
	g_clear_pointer (&cors->allow_headers, g_strfreev);
	g_clear_pointer (&cors->allow_methods, g_strfreev);
}

void
am_api_free (AmApi *api)
{
	if (!api)
		return;
	g_free (api->id);
	g_free (api->provider);
	g_free (api->name);
	g_free (api->version);
	g_free (api->context);
	g_free (api->context_template);
	g_free (api->description);
	g_free (api->status);
	g_free (api->type);
	g_strfreev (api->transports);
	g_strfreev (api->tags);
	g_strfreev (api->tiers);
	g_free (api->api_level_policy);
	g_free (api->visibility);
	g_strfreev (api->visible_roles);
	g_strfreev (api->visible_tenants);
	g_free (api->endpoint_config);
	g_free (api->endpoint_security_type);
	g_free (api->endpoint_username);
	g_free (api->endpoint_password);
	g_strfreev (api->gateway_environments);
	g_free (api->in_sequence);
	g_free (api->out_sequence);
	g_free (api->fault_sequence);
	g_free (api->business_owner);
	g_free (api->business_owner_email);
	g_free (api->technical_owner);
	g_free (api->technical_owner_email);
	g_free (api->thumbnail_url);
	g_free (api->wsdl_url);
	g_free (api->subscription_availability);
	g_strfreev (api->subscription_available_tenants);
	g_free (api->authorization_header);
	api_cors_clear (&api->cors);
	g_ptr_array_unref (api->operations);
	g_ptr_array_unref (api->scopes);
	g_free (api->swagger);
	g_free (api);
}

AmApi *
am_api_copy (const AmApi *src)
{
	AmApi *api = g_new0 (AmApi, 1);

	*api = *src;
	api->id = g_strdup (src->id);
	api->provider = g_strdup (src->provider);
	api->name = g_strdup (src->name);
	api->version = g_strdup (src->version);
	api->context = g_strdup (src->context);
	api->context_template = g_strdup (src->context_template);
	api->description = g_strdup (src->description);
	api->status = g_strdup (src->status);
	api->type = g_strdup (src->type);
	api->transports = g_strdupv (src->transports);
	api->tags = g_strdupv (src->tags);
	api->tiers = g_strdupv (src->tiers);
	api->api_level_policy = g_strdup (src->api_level_policy);
	api->visibility = g_strdup (src->visibility);
	api->visible_roles = g_strdupv (src->visible_roles);
	api->visible_tenants = g_strdupv (src->visible_tenants);
	api->endpoint_config = g_strdup (src->endpoint_config);
	api->endpoint_security_type = g_strdup (src->endpoint_security_type);
	api->endpoint_username = g_strdup (src->endpoint_username);
	api->endpoint_password = g_strdup (src->endpoint_password);
	api->gateway_environments = g_strdupv (src->gateway_environments);
	api->in_sequence = g_strdup (src->in_sequence);
	api->out_sequence = g_strdup (src->out_sequence);
	api->fault_sequence = g_strdup (src->fault_sequence);
	api->business_owner = g_strdup (src->business_owner);
	api->business_owner_email = g_strdup (src->business_owner_email);
	api->technical_owner = g_strdup (src->technical_owner);
	api->technical_owner_email = g_strdup (src->technical_owner_email);
	api->thumbnail_url = g_strdup (src->thumbnail_url);
	api->wsdl_url = g_strdup (src->wsdl_url);
	api->subscription_availability = g_strdup (src->subscription_availability);
	api->subscription_available_tenants = g_strdupv (src->subscription_available_tenants);
	api->authorization_header = g_strdup (src->authorization_header);
	api->cors.allow_origins = g_strdupv (src->cors.allow_origins);
	api->cors.allow_headers = g_strdupv (src->cors.allow_headers);
	api->cors.allow_methods = g_strdupv (src->cors.allow_methods);
	api->swagger = g_strdup (src->swagger);
	api->operations = g_ptr_array_new_with_free_func ((GDestroyNotify) am_api_operation_free);
	for (guint i = 0; i < src->operations->len; i++) {
		const AmApiOperation *op = g_ptr_array_index (src->operations, i);
		g_ptr_array_add (api->operations,
				 am_api_operation_new (op->url_pattern, op->http_method, op->auth_type,
						       op->throttling_tier, op->scope));
	}
	api->scopes = g_ptr_array_new_with_free_func ((GDestroyNotify) am_api_scope_free);
	for (guint i = 0; i < src->scopes->len; i++) {
		const AmApiScope *s = g_ptr_array_index (src->scopes, i);
		g_ptr_array_add (api->scopes,
				 am_api_scope_new (s->key, s->name, s->description,
						   (const char *const *) s->roles));
	}
	return api;
}

static const struct {
	const char *stored;  /* AM_API_URL_MAPPING.AUTH_SCHEME */
	const char *swagger; /* x-auth-type */
} auth_names[] = {
	[AM_API_AUTH_ANY] = { "Any", "Application & Application User" },
	[AM_API_AUTH_APPLICATION] = { "Application", "Application" },
	[AM_API_AUTH_APPLICATION_USER] = { "Application_User", "Application User" },
	[AM_API_AUTH_NONE] = { "None", "None" },
};

const char *
am_api_auth_type_to_string (AmApiAuthType type)
{
	return auth_names[type].stored;
}

const char *
am_api_auth_type_to_swagger (AmApiAuthType type)
{
	return auth_names[type].swagger;
}

gboolean
am_api_auth_type_from_string (const char *text, AmApiAuthType *type)
{
	if (!text)
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS (auth_names); i++) {
		if (g_ascii_strcasecmp (text, auth_names[i].stored) == 0 ||
		    g_ascii_strcasecmp (text, auth_names[i].swagger) == 0) {
			*type = (AmApiAuthType) i;
			return TRUE;
		}
	}
	return FALSE;
}

char *
am_api_provider_to_registry (const char *provider)
{
	g_autoptr (GString) s = g_string_new (provider);

	g_string_replace (s, "@", "-AT-", 0);
	return g_string_free (g_steal_pointer (&s), FALSE);
}

char *
am_api_provider_from_registry (const char *registry_provider)
{
	g_autoptr (GString) s = g_string_new (registry_provider);

	g_string_replace (s, "-AT-", "@", 0);
	return g_string_free (g_steal_pointer (&s), FALSE);
}

char *
am_api_identifier (const AmApi *api)
{
	g_autofree char *provider = am_api_provider_to_registry (api->provider);

	return g_strdup_printf ("%s-%s-%s", provider, api->name, api->version);
}

gboolean
am_api_identifier_parse (const char *identifier, char **provider, char **name, char **version)
{
	g_autofree char *decoded = NULL;
	g_auto (GStrv) parts = NULL;

	if (!identifier)
		return FALSE;
	/* The provider's "-AT-" is the only '-' a part may carry (as
	 * APIMappingUtil splits on '-' after restoring the e-mail form). */
	decoded = am_api_provider_from_registry (identifier);
	parts = g_strsplit (decoded, "-", 0);
	if (g_strv_length (parts) != 3 || !*parts[0] || !*parts[1] || !*parts[2])
		return FALSE;
	*provider = g_strdup (parts[0]);
	*name = g_strdup (parts[1]);
	*version = g_strdup (parts[2]);
	return TRUE;
}
