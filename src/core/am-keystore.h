/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Keystores and truststores as Carbon configures them (carbon.xml
 * Security/KeyStore and Security/TrustStore): JKS (WSO2 ships
 * wso2carbon.jks), PKCS#12 and PEM.  A keystore yields one private key with
 * its certificate chain (the entry named by KeyAlias); a truststore yields
 * every certificate it holds.
 */
#pragma once

#include <gio/gio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define AM_KEYSTORE_ERROR (am_keystore_error_quark ())
GQuark am_keystore_error_quark (void);

typedef enum {
	AM_KEYSTORE_ERROR_FAILED,
	AM_KEYSTORE_ERROR_NOT_FOUND,	/* file missing */
	AM_KEYSTORE_ERROR_FORMAT,	/* not a keystore of that type / corrupt */
	AM_KEYSTORE_ERROR_PASSWORD,	/* integrity check or key decryption failed */
	AM_KEYSTORE_ERROR_NO_ALIAS,	/* no such key entry */
	AM_KEYSTORE_ERROR_UNSUPPORTED,	/* e.g. JCEKS, unknown key protection */
} AmKeystoreErrorCode;

typedef enum {
	AM_KEYSTORE_JKS,
	AM_KEYSTORE_PKCS12,
	AM_KEYSTORE_PEM,
} AmKeystoreType;

typedef struct _AmKeystore AmKeystore;

/* "JKS", "PKCS12" (also "P12"), "PEM"; case-insensitive.  FALSE if unknown. */
gboolean am_keystore_type_from_string (const char *s, AmKeystoreType *out);

/* Load a keystore.  @key_alias NULL: the first private key entry.  For PEM
 * the file holds a private key and certificates (any order; the first
 * certificate matching the key is the leaf); @store_password decrypts an
 * encrypted PEM key.  A keystore with no private key entry loads fine (a
 * truststore): then am_keystore_get_key returns NULL. */
AmKeystore *am_keystore_load (const char *path,
			      AmKeystoreType type,
			      const char *store_password,
			      const char *key_alias,
			      const char *key_password,
			      GError **error);
void am_keystore_free (AmKeystore *ks);

EVP_PKEY *am_keystore_get_key (AmKeystore *ks);		/* borrowed, NULL if none */
X509 *am_keystore_get_cert (AmKeystore *ks);		/* leaf of the key entry, borrowed */
STACK_OF (X509) *am_keystore_get_chain (AmKeystore *ks); /* leaf first, borrowed */
/* Every certificate in the store: key-entry chains and trusted-cert entries. */
GPtrArray *am_keystore_get_certificates (AmKeystore *ks); /* of X509*, borrowed */
const char *am_keystore_get_alias (AmKeystore *ks);	 /* alias of the key entry */

/* The key entry as a GTlsCertificate (for libsoup's SoupServer). */
GTlsCertificate *am_keystore_to_tls_certificate (AmKeystore *ks, GError **error);
/* Install key + chain into an OpenSSL server context (data plane, Thrift). */
gboolean am_keystore_use_in_ssl_ctx (AmKeystore *ks, SSL_CTX *ctx, GError **error);
/* Add every certificate of a truststore to @ctx's verify store. */
gboolean am_keystore_add_trust_to_ssl_ctx (AmKeystore *ks, SSL_CTX *ctx, GError **error);

/* Create a self-signed development keystore at @path (RSA 2048, SHA-256,
 * CN=@common_name, subjectAltName DNS:localhost, IP:127.0.0.1 and
 * @common_name, valid 10 years) under @alias with the given passwords, in
 * @type format.  Parent directories are created; the file is written to a
 * temporary name, mode 0600, and renamed into place.  When @truststore_path
 * is not NULL, a truststore holding the same certificate (trusted-cert entry
 * @alias, password @truststore_password) is written there too. */
gboolean am_keystore_generate_dev (const char *path,
				   AmKeystoreType type,
				   const char *store_password,
				   const char *alias,
				   const char *key_password,
				   const char *common_name,
				   const char *truststore_path,
				   AmKeystoreType truststore_type,
				   const char *truststore_password,
				   GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmKeystore, am_keystore_free)
