/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the API lifecycle (APILifeCycle.xml): every transition of the
 * table, the refusal text of the Publisher's change-lifecycle for actions
 * that are not allowed (case-sensitive, Arrays.toString list), state names
 * in AM_API and registry forms, and what each change does to gateways.
 */
#include "config.h"

#include <glib.h>

#include "am-pub-lifecycle.h"

typedef struct {
	AmPubState from;
	const char *action;
	AmPubState to;
} Transition;

static const Transition transitions[] = {
	{ AM_PUB_STATE_CREATED, "Publish", AM_PUB_STATE_PUBLISHED },
	{ AM_PUB_STATE_CREATED, "Deploy as a Prototype", AM_PUB_STATE_PROTOTYPED },
	{ AM_PUB_STATE_PROTOTYPED, "Publish", AM_PUB_STATE_PUBLISHED },
	{ AM_PUB_STATE_PROTOTYPED, "Demote to Created", AM_PUB_STATE_CREATED },
	{ AM_PUB_STATE_PROTOTYPED, "Deploy as a Prototype", AM_PUB_STATE_PROTOTYPED },
	{ AM_PUB_STATE_PUBLISHED, "Block", AM_PUB_STATE_BLOCKED },
	{ AM_PUB_STATE_PUBLISHED, "Deploy as a Prototype", AM_PUB_STATE_PROTOTYPED },
	{ AM_PUB_STATE_PUBLISHED, "Demote to Created", AM_PUB_STATE_CREATED },
	{ AM_PUB_STATE_PUBLISHED, "Deprecate", AM_PUB_STATE_DEPRECATED },
	{ AM_PUB_STATE_PUBLISHED, "Publish", AM_PUB_STATE_PUBLISHED },
	{ AM_PUB_STATE_BLOCKED, "Deprecate", AM_PUB_STATE_DEPRECATED },
	{ AM_PUB_STATE_BLOCKED, "Re-Publish", AM_PUB_STATE_PUBLISHED },
	{ AM_PUB_STATE_DEPRECATED, "Retire", AM_PUB_STATE_RETIRED },
};

static gboolean
in_table (AmPubState from, const char *action)
{
	for (guint i = 0; i < G_N_ELEMENTS (transitions); i++)
		if (transitions[i].from == from && g_str_equal (transitions[i].action, action))
			return TRUE;
	return FALSE;
}

static void
test_transitions (void)
{
	const char *const *all = am_pub_lifecycle_all_actions ();

	for (guint i = 0; i < G_N_ELEMENTS (transitions); i++) {
		g_autoptr (GError) error = NULL;
		AmPubState to = (AmPubState) -1;

		g_assert_true (am_pub_lifecycle_next (transitions[i].from, transitions[i].action, &to,
						      &error));
		g_assert_no_error (error);
		g_assert_cmpint (to, ==, transitions[i].to);
	}
	/* Every other (state, action) pair of the REST enum is refused. */
	for (AmPubState s = AM_PUB_STATE_CREATED; s <= AM_PUB_STATE_RETIRED; s++) {
		for (guint a = 0; all[a] != NULL; a++) {
			g_autoptr (GError) error = NULL;
			AmPubState to;

			if (in_table (s, all[a]))
				continue;
			g_assert_false (am_pub_lifecycle_next (s, all[a], &to, &error));
			g_assert_error (error, AM_PUB_ERROR, AM_PUB_ERROR_NOT_ALLOWED);
		}
	}
	g_assert_cmpuint (g_strv_length ((char **) all), ==, 8);
}

static void
test_refusal_text (void)
{
	g_autoptr (GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
	AmPubState to;

	g_assert_false (am_pub_lifecycle_next (AM_PUB_STATE_CREATED, "Retire", &to, &e1));
	g_assert_cmpstr (e1->message, ==,
			 "Action 'Retire' is not allowed. Allowed actions are [Publish, Deploy as a "
			 "Prototype]");
	/* exact match, as ArrayUtils.contains */
	g_assert_false (am_pub_lifecycle_next (AM_PUB_STATE_PUBLISHED, "block", &to, &e2));
	g_assert_cmpstr (e2->message, ==,
			 "Action 'block' is not allowed. Allowed actions are [Block, Deploy as a "
			 "Prototype, Demote to Created, Deprecate, Publish]");
	g_assert_false (am_pub_lifecycle_next (AM_PUB_STATE_RETIRED, "Publish", &to, &e3));
	g_assert_cmpstr (e3->message, ==, "Action 'Publish' is not allowed. Allowed actions are []");
	g_assert_false (am_pub_lifecycle_next (AM_PUB_STATE_PROTOTYPED, "Demote to Prototyped", &to,
					       &e4));
	g_assert_cmpstr (e4->message, ==,
			 "Action 'Demote to Prototyped' is not allowed. Allowed actions are "
			 "[Publish, Demote to Created, Deploy as a Prototype]");
}

static void
test_actions_lists (void)
{
	const char *const *blocked = am_pub_lifecycle_actions (AM_PUB_STATE_BLOCKED);

	g_assert_cmpstr (blocked[0], ==, "Deprecate");
	g_assert_cmpstr (blocked[1], ==, "Re-Publish");
	g_assert_null (blocked[2]);
	g_assert_null (am_pub_lifecycle_actions (AM_PUB_STATE_RETIRED)[0]);
	/* the lists and the transition table agree */
	for (AmPubState s = AM_PUB_STATE_CREATED; s <= AM_PUB_STATE_RETIRED; s++) {
		const char *const *list = am_pub_lifecycle_actions (s);
		guint n = 0;

		for (guint i = 0; list[i] != NULL; i++, n++)
			g_assert_true (in_table (s, list[i]));
		for (guint i = 0; i < G_N_ELEMENTS (transitions); i++)
			n -= transitions[i].from == s;
		g_assert_cmpuint (n, ==, 0);
	}
}

static void
test_names (void)
{
	static const char *const upper[] = { "CREATED", "PROTOTYPED", "PUBLISHED",
					     "BLOCKED", "DEPRECATED", "RETIRED" };
	static const char *const title[] = { "Created", "Prototyped", "Published",
					     "Blocked", "Deprecated", "Retired" };
	AmPubState s;

	for (guint i = 0; i < G_N_ELEMENTS (upper); i++) {
		g_assert_cmpstr (am_pub_state_to_string ((AmPubState) i), ==, upper[i]);
		g_assert_cmpstr (am_pub_state_to_registry ((AmPubState) i), ==, title[i]);
		g_assert_true (am_pub_state_from_string (upper[i], &s));
		g_assert_cmpint (s, ==, i);
		g_assert_true (am_pub_state_from_string (title[i], &s));
		g_assert_cmpint (s, ==, i);
	}
	g_assert_false (am_pub_state_from_string ("ARCHIVED", &s));
	g_assert_false (am_pub_state_from_string (NULL, &s));
	g_assert_false (am_pub_state_from_string ("", &s));
}

static void
test_gateway (void)
{
	g_assert_true (am_pub_state_on_gateway (AM_PUB_STATE_PUBLISHED));
	g_assert_true (am_pub_state_on_gateway (AM_PUB_STATE_PROTOTYPED));
	g_assert_true (am_pub_state_on_gateway (AM_PUB_STATE_DEPRECATED));
	g_assert_true (am_pub_state_on_gateway (AM_PUB_STATE_BLOCKED));
	g_assert_false (am_pub_state_on_gateway (AM_PUB_STATE_CREATED));
	g_assert_false (am_pub_state_on_gateway (AM_PUB_STATE_RETIRED));

	g_assert_cmpint (am_pub_lifecycle_gateway_op (AM_PUB_STATE_CREATED, AM_PUB_STATE_PUBLISHED),
			 ==, AM_PUB_GATEWAY_PUBLISH);
	g_assert_cmpint (am_pub_lifecycle_gateway_op (AM_PUB_STATE_PUBLISHED, AM_PUB_STATE_BLOCKED),
			 ==, AM_PUB_GATEWAY_PUBLISH);
	g_assert_cmpint (am_pub_lifecycle_gateway_op (AM_PUB_STATE_BLOCKED, AM_PUB_STATE_PUBLISHED),
			 ==, AM_PUB_GATEWAY_PUBLISH);
	g_assert_cmpint (am_pub_lifecycle_gateway_op (AM_PUB_STATE_PUBLISHED, AM_PUB_STATE_CREATED),
			 ==, AM_PUB_GATEWAY_REMOVE);
	g_assert_cmpint (am_pub_lifecycle_gateway_op (AM_PUB_STATE_DEPRECATED, AM_PUB_STATE_RETIRED),
			 ==, AM_PUB_GATEWAY_REMOVE);
	g_assert_cmpint (am_pub_lifecycle_gateway_op (AM_PUB_STATE_PUBLISHED, AM_PUB_STATE_PUBLISHED),
			 ==, AM_PUB_GATEWAY_NONE);
	g_assert_cmpint (am_pub_lifecycle_gateway_op (AM_PUB_STATE_PROTOTYPED, AM_PUB_STATE_PROTOTYPED),
			 ==, AM_PUB_GATEWAY_NONE);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/pub/lifecycle/transitions", test_transitions);
	g_test_add_func ("/pub/lifecycle/refusal-text", test_refusal_text);
	g_test_add_func ("/pub/lifecycle/actions", test_actions_lists);
	g_test_add_func ("/pub/lifecycle/names", test_names);
	g_test_add_func ("/pub/lifecycle/gateway", test_gateway);
	return g_test_run ();
}
