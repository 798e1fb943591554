/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared between am-keystore.c (loading, PKCS#12, PEM, TLS glue) and
 * am-keystore-jks.c (the Java JKS format): the keystore structure and the
 * JKS reader and writer.  Not part of the public API.
 */
#pragma once

#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "am-keystore.h"

/* OpenSSL owners for g_autoptr, for these files only. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_SIG, X509_SIG_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_NAME, X509_NAME_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_EXTENSION, X509_EXTENSION_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PKCS12, PKCS12_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIO, BIO_free_all)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIGNUM, BN_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_INTEGER, ASN1_INTEGER_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GENERAL_NAMES, GENERAL_NAMES_free)

struct _AmKeystore {
	AmKeystoreType type;	/* the format actually read */
	char *alias;		/* alias of the key entry, NULL if none */
	EVP_PKEY *key;		/* NULL for a truststore */
	STACK_OF (X509) *chain; /* leaf first; empty without a key */
	GPtrArray *certs;	/* of X509*, owned, no duplicates */
};

#define AM_KEYSTORE_JKS_MAGIC 0xFEEDFEEDu
#define AM_KEYSTORE_JCEKS_MAGIC 0xCECECECEu

AmKeystore *am_keystore_new_empty (AmKeystoreType type);
/* Adds @cert (a new reference is taken) to ks->certs unless already there. */
void am_keystore_add_certificate (AmKeystore *ks, X509 *cert);

/* Aliases compare as Java compares them: ignoring case. */
gboolean am_keystore_alias_equal (const char *a, const char *b);

/* Parse a JKS image.  @store_password NULL skips the integrity check (as
 * Java does); @key_password NULL means @store_password.  Only the selected
 * key entry is decrypted. */
AmKeystore *am_keystore_jks_parse (const guint8 *data,
				   gsize len,
				   const char *store_password,
				   const char *key_alias,
				   const char *key_password,
				   GError **error);

/* Serialise a version 2 JKS image: one private-key entry (@key with
 * @chain, leaf first) or, when @key is NULL, one trusted-cert entry holding
 * the first certificate of @chain. */
GBytes *am_keystore_jks_write (const char *store_password,
			       const char *alias,
			       EVP_PKEY *key,
			       const char *key_password,
			       STACK_OF (X509) *chain,
			       GError **error);
