/* SPDX-License-Identifier: Apache-2.0 */
/* The gateway pipeline's pieces that have a contract of their own. */
#include "config.h"

#include "am-gw-gateway.h"

/* WSO2 2.x OAuthAuthenticator: a leading "OAuth " is tolerated, the value
 * is split on ',', each part on spaces, and the token is the first
 * non-empty segment after a segment equal to "Bearer" (case-sensitive);
 * surrounding quotes are stripped. */
static void
test_bearer (void)
{
	static const struct {
		const char *header, *token;
	} cases[] = {
		{ "Bearer abc", "abc" },
		{ "Bearer  abc", "abc" },
		{ "Bearer abc def", "abc" },
		{ "Bearer \"abc\"", "abc" },
		{ "OAuth Bearer abc", "abc" },
		{ "oauth Bearer abc", "abc" },
		{ "Basic dXNlcjpwdw==, Bearer tok", "tok" },
		{ "Bearer tok, Bearer other", "tok" },
		{ "bearer abc", NULL },
		{ "BEARER abc", NULL },
		{ "Basic dXNlcjpwdw==", NULL },
		{ "Bearer", NULL },
		{ "Bearer ", NULL },
		{ "", NULL },
		{ "abc", NULL },
		{ "Bearer\tabc", NULL },	  /* words are split at spaces only */
		{ "Bearer abc\t", "abc" },	  /* and trimmed of white space */
		{ " \tBearer \t abc \r", "abc" },
		{ "Bearer \"\"", "" },
		{ "Bearer ,abc", NULL },	  /* the token is in the same part */
		{ "Basic x,,Bearer  tok ,", "tok" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree char *t = am_gw_bearer_token (cases[i].header);

		g_assert_cmpstr (t, ==, cases[i].token);
	}
	g_assert_null (am_gw_bearer_token (NULL));
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/gw/pipeline/bearer", test_bearer);
	return g_test_run ();
}
