/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The backend JWT of WSO2 2.x's default JWTGenerator, returned as
 * endUserToken and forwarded by the gateway in X-JWT-Assertion:
 *
 *   base64(header) "." base64(claims) "." base64(SHA256withRSA signature)
 *
 * with standard Base64 (the default generator; URLSafeJWTGenerator gives
 * URL-safe output), header {"typ":"JWT","alg":"RS256","x5t":...} where x5t
 * is the URL-safe Base64 of the hex SHA-1 thumbprint of the signing
 * certificate, and the claims of the http://wso2.org/claims dialect.  With
 * SignatureAlgorithm NONE the header says "alg":"none" and the token ends
 * in ".".
 */
#define G_LOG_DOMAIN "am.km"
#include "config.h"

#include "am-km-private.h"
#include "am-userstore.h"

#include <json-glib/json-glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <string.h>

#define JWT_ISSUER "wso2.org/products/am"
#define JWT_DEFAULT_TTL 900

static char *
b64 (const guint8 *data, gsize len, gboolean url_safe)
{
	char *s = g_base64_encode (data, len);

	if (url_safe) {
		/* RFC 4648 §5 without padding */
		for (char *p = s; *p != '\0'; p++) {
			if (*p == '+')
				*p = '-';
			else if (*p == '/')
				*p = '_';
			else if (*p == '=') {
				*p = '\0';
				break;
			}
		}
	}
	return s;
}

static gboolean
url_safe_generator (AmKm *km)
{
	const char *impl = km->apim->jwt_generator;

	return impl != NULL && g_str_has_suffix (impl, "URLSafeJWTGenerator");
}

/* x5t: Base64url of the lowercase hex SHA-1 of the certificate's DER, as
 * WSO2's AbstractJWTGenerator computes it. */
static char *
thumbprint (X509 *cert)
{
	guint8 md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	g_autoptr (GString) hex = g_string_new (NULL);
	char *s;

	if (!X509_digest (cert, EVP_sha1 (), md, &len))
		return NULL;
	for (unsigned int i = 0; i < len; i++)
		g_string_append_printf (hex, "%02x", md[i]);
	/* Java's Base64.getUrlEncoder keeps the padding */
	s = g_base64_encode ((const guint8 *) hex->str, hex->len);
	for (char *p = s; *p != '\0'; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	return s;
}

static gint64
jwt_ttl (AmKm *km)
{
	const AmApimConf *apim = km->apim;

	if ((apim->gw_token_cache || apim->km_token_cache) && apim->token_cache_expiry > 0)
		return apim->token_cache_expiry;
	if (apim->jwt_expiry_time > 0)
		return apim->jwt_expiry_time;
	return JWT_DEFAULT_TTL;
}

static char *
jwt_claims (AmKm *km, const AmKeyValidationInfo *info, const char *context, const char *version)
{
	const char *dialect = km->apim->jwt_dialect != NULL ? km->apim->jwt_dialect
							    : "http://wso2.org/claims";
	g_autoptr (JsonBuilder) b = json_builder_new ();
	g_autoptr (JsonGenerator) gen = json_generator_new ();
	g_autoptr (JsonNode) root = NULL;
	gint64 exp = am_km_now (km) / 1000 + jwt_ttl (km) * 1000;
	const char *ver = g_str_has_prefix (version, "_default_") ? version + 9 : version;
	struct {
		const char *claim;
		const char *value;
	} claims[] = {
		{ "subscriber", info->subscriber },
		{ "applicationid", info->application_id },
		{ "applicationname", info->application_name },
		{ "applicationtier", info->application_tier },
		{ "apicontext", context },
		{ "version", ver },
		{ "tier", info->tier },
		{ "keytype", info->type },
		{ "usertype", info->user_type },
		{ "enduser", info->end_user_name },
		{ "enduserTenantId", "-1234" }, /* AM_SUPER_TENANT_ID */
	};

	json_builder_begin_object (b);
	json_builder_set_member_name (b, "iss");
	json_builder_add_string_value (b, JWT_ISSUER);
	/* WSO2 2.x writes exp in milliseconds */
	json_builder_set_member_name (b, "exp");
	json_builder_add_int_value (b, exp);
	for (gsize i = 0; i < G_N_ELEMENTS (claims); i++) {
		g_autofree char *name = g_strdup_printf ("%s/%s", dialect, claims[i].claim);

		json_builder_set_member_name (b, name);
		if (claims[i].value != NULL)
			json_builder_add_string_value (b, claims[i].value);
		else
			json_builder_add_null_value (b);
	}
	json_builder_end_object (b);
	root = json_builder_get_root (b);
	json_generator_set_root (gen, root);
	return json_generator_to_data (gen, NULL);
}

static char *
rs256 (EVP_PKEY *key, const char *input, gboolean url_safe, GError **error)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
	g_autofree guint8 *sig = NULL;
	size_t len = 0;
	gboolean ok;

	ok = ctx != NULL && EVP_DigestSignInit (ctx, NULL, EVP_sha256 (), NULL, key) == 1 &&
	     EVP_DigestSign (ctx, NULL, &len, (const guint8 *) input, strlen (input)) == 1;
	if (ok) {
		sig = g_malloc (len);
		ok = EVP_DigestSign (ctx, sig, &len, (const guint8 *) input, strlen (input)) == 1;
	}
	EVP_MD_CTX_free (ctx);
	if (!ok) {
		g_set_error (error, AM_KM_ERROR, AM_KM_ERROR_FAILED,
			     "cannot sign the backend JWT with the keystore key");
		return NULL;
	}
	return b64 (sig, len, url_safe);
}

char *
am_km_jwt_generate (AmKm *km, const AmKeyValidationInfo *info, const char *context,
		    const char *version, GError **error)
{
	gboolean url_safe = url_safe_generator (km);
	gboolean sign = km->apim->jwt_signature != AM_JWT_NONE;
	g_autofree char *header = NULL;
	g_autofree char *claims = jwt_claims (km, info, context, version);
	g_autofree char *h64 = NULL;
	g_autofree char *c64 = NULL;
	g_autofree char *input = NULL;
	g_autofree char *sig = NULL;
	EVP_PKEY *key = NULL;

	if (sign) {
		g_autofree char *x5t = NULL;

		if (km->keystore == NULL || (key = am_keystore_get_key (km->keystore)) == NULL ||
		    am_keystore_get_cert (km->keystore) == NULL) {
			g_set_error (error, AM_KM_ERROR, AM_KM_ERROR_FAILED,
				     "JWT generation needs the carbon.xml keystore's private key");
			return NULL;
		}
		x5t = thumbprint (am_keystore_get_cert (km->keystore));
		header = g_strdup_printf ("{\"typ\":\"JWT\",\"alg\":\"RS256\",\"x5t\":\"%s\"}",
					  x5t != NULL ? x5t : "");
	} else {
		header = g_strdup ("{\"typ\":\"JWT\",\"alg\":\"none\"}");
	}
	h64 = b64 ((const guint8 *) header, strlen (header), url_safe);
	c64 = b64 ((const guint8 *) claims, strlen (claims), url_safe);
	input = g_strconcat (h64, ".", c64, NULL);
	if (!sign)
		return g_strconcat (input, ".", NULL);
	sig = rs256 (key, input, url_safe, error);
	if (sig == NULL)
		return NULL;
	return g_strconcat (input, ".", sig, NULL);
}
