/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Carbon 4.4 JDBC user store on the UM_* tables, as WSO2 stores it:
 * salted SHA-256 passwords (Base64 of SHA-256(password + saltBase64)),
 * case-insensitive user names, primary roles in UM_ROLE/UM_USER_ROLE and
 * Internal roles in UM_HYBRID_ROLE/UM_HYBRID_USER_ROLE (stored without the
 * prefix), permissions in UM_PERMISSION/UM_ROLE_PERMISSION.  Only the super
 * tenant (-1234, carbon.super) is served.
 *
 * Every call except the async ones blocks on the database: use them from a
 * worker thread or at start-up.
 */
#pragma once

#include "am-core-conf.h"
#include "am-db.h"

#define AM_USERSTORE_ERROR (am_userstore_error_quark ())
GQuark am_userstore_error_quark (void);

typedef enum {
	AM_USERSTORE_ERROR_FAILED,
	AM_USERSTORE_ERROR_AUTH,	/* unknown user or wrong password */
	AM_USERSTORE_ERROR_NO_USER,	/* no such user */
	AM_USERSTORE_ERROR_EXISTS,	/* user already exists */
	AM_USERSTORE_ERROR_POLICY,	/* user name / password pattern violated */
	AM_USERSTORE_ERROR_TENANT,	/* a tenant other than carbon.super */
} AmUserStoreErrorCode;

#define AM_SUPER_TENANT_ID (-1234)
#define AM_SUPER_TENANT_DOMAIN "carbon.super"

typedef struct _AmUserStore AmUserStore;

/* The Carbon password scheme.  @digest: "SHA-256" (default), "SHA-1",
 * "SHA-512", "MD5" or "PLAIN_TEXT"; @salt may be NULL (unsalted).  Returns
 * the value stored in UM_USER_PASSWORD. */
char *am_password_hash (const char *digest, const char *password, const char *salt);
/* A new salt: 16 random bytes, standard Base64 (24 characters). */
char *am_password_new_salt (void);

AmUserStore *am_userstore_new (AmDb *db, const AmCoreConf *core);
void am_userstore_free (AmUserStore *us);

/* First start: create the UM_DOMAIN rows, the admin role and user of
 * user-mgt.xml and the API-M roles (Internal/subscriber, creator,
 * publisher) with their permissions.  Does nothing that already exists. */
gboolean am_userstore_ensure_admin (AmUserStore *us, GError **error);

/* TRUE when @password is right for @username (constant-time comparison);
 * FALSE with AM_USERSTORE_ERROR_AUTH otherwise.  "user@carbon.super" is
 * accepted for "user". */
gboolean am_userstore_authenticate (AmUserStore *us, const char *username, const char *password,
				    GError **error);
/* Roles of @username: primary roles as stored ("admin"), hybrid roles with
 * their "Internal/" prefix, and always "Internal/everyone". */
char **am_userstore_get_roles (AmUserStore *us, const char *username, GError **error);
/* Add a user with @roles (NULL-terminated, "Internal/x" or primary names). */
gboolean am_userstore_add_user (AmUserStore *us, const char *username, const char *password,
				const char *const *roles, GError **error);
gboolean am_userstore_user_exists (AmUserStore *us, const char *username, GError **error);
/* Whether one of the user's roles holds @permission (or a parent of it) with
 * action ui.execute, the Carbon permission tree rule. */
gboolean am_userstore_is_authorized (AmUserStore *us, const char *username,
				     const char *permission, GError **error);

/* Off-thread authentication for request handlers. */
void am_userstore_authenticate_async (AmUserStore *us, const char *username, const char *password,
				      GCancellable *cancellable, GAsyncReadyCallback callback,
				      gpointer user_data);
gboolean am_userstore_authenticate_finish (AmUserStore *us, GAsyncResult *result,
					   GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmUserStore, am_userstore_free)
