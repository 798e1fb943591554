/* SPDX-License-Identifier: Apache-2.0 */
/*
 * WSO2 API-M 2.x's API lifecycle as data: the states and transitions of
 * APILifeCycle.xml (identical in carbon-apimgt 6.1.66 / 2.1 and 6.4.50 /
 * 2.6), in that file's transition order, which is the order the Publisher
 * lists allowed actions in (getAllLifecycleActions).  An action that is not
 * allowed is refused with the text PublisherApi's change-lifecycle answers
 * (400): "Action '<action>' is not allowed. Allowed actions are " +
 * Arrays.toString(allowed), i.e. "[Publish, Deploy as a Prototype]".
 * Action names are compared exactly (ArrayUtils.contains).
 *
 * Gateways: APIProviderImpl.updateAPIStatus publishes the API to its
 * environments when the new state is PUBLISHED, DEPRECATED, BLOCKED (the
 * blocked template answering 503 / 700700) or PROTOTYPED, removes it for
 * CREATED and RETIRED, and does nothing when the state does not change
 * (Publish on a published API).
 */
#include "config.h"

#include "am-pub-lifecycle.h"

typedef struct {
	const char *upper;
	const char *title;
} PubStateName;

static const PubStateName pub_state_names[] = {
	[AM_PUB_STATE_CREATED] = { "CREATED", "Created" },
	[AM_PUB_STATE_PROTOTYPED] = { "PROTOTYPED", "Prototyped" },
	[AM_PUB_STATE_PUBLISHED] = { "PUBLISHED", "Published" },
	[AM_PUB_STATE_BLOCKED] = { "BLOCKED", "Blocked" },
	[AM_PUB_STATE_DEPRECATED] = { "DEPRECATED", "Deprecated" },
	[AM_PUB_STATE_RETIRED] = { "RETIRED", "Retired" },
};

typedef struct {
	const char *action;
	AmPubState target;
} PubTransition;

/* <transition event target> of each <state>, in document order. */
static const PubTransition pub_from_created[] = {
	{ "Publish", AM_PUB_STATE_PUBLISHED },
	{ "Deploy as a Prototype", AM_PUB_STATE_PROTOTYPED },
	{ NULL, 0 },
};
static const PubTransition pub_from_prototyped[] = {
	{ "Publish", AM_PUB_STATE_PUBLISHED },
	{ "Demote to Created", AM_PUB_STATE_CREATED },
	{ "Deploy as a Prototype", AM_PUB_STATE_PROTOTYPED },
	{ NULL, 0 },
};
static const PubTransition pub_from_published[] = {
	{ "Block", AM_PUB_STATE_BLOCKED },
	{ "Deploy as a Prototype", AM_PUB_STATE_PROTOTYPED },
	{ "Demote to Created", AM_PUB_STATE_CREATED },
	{ "Deprecate", AM_PUB_STATE_DEPRECATED },
	{ "Publish", AM_PUB_STATE_PUBLISHED },
	{ NULL, 0 },
};
static const PubTransition pub_from_blocked[] = {
	{ "Deprecate", AM_PUB_STATE_DEPRECATED },
	{ "Re-Publish", AM_PUB_STATE_PUBLISHED },
	{ NULL, 0 },
};
static const PubTransition pub_from_deprecated[] = {
	{ "Retire", AM_PUB_STATE_RETIRED },
	{ NULL, 0 },
};
static const PubTransition pub_from_retired[] = {
	{ NULL, 0 },
};

static const PubTransition *const pub_transitions[] = {
	[AM_PUB_STATE_CREATED] = pub_from_created,
	[AM_PUB_STATE_PROTOTYPED] = pub_from_prototyped,
	[AM_PUB_STATE_PUBLISHED] = pub_from_published,
	[AM_PUB_STATE_BLOCKED] = pub_from_blocked,
	[AM_PUB_STATE_DEPRECATED] = pub_from_deprecated,
	[AM_PUB_STATE_RETIRED] = pub_from_retired,
};

/* The same lists as plain names, for callers that show them. */
static const char *const pub_actions_created[] = { "Publish", "Deploy as a Prototype", NULL };
static const char *const pub_actions_prototyped[] = { "Publish", "Demote to Created",
						      "Deploy as a Prototype", NULL };
static const char *const pub_actions_published[] = { "Block",	  "Deploy as a Prototype",
						     "Demote to Created", "Deprecate",
						     "Publish", NULL };
static const char *const pub_actions_blocked[] = { "Deprecate", "Re-Publish", NULL };
static const char *const pub_actions_deprecated[] = { "Retire", NULL };
static const char *const pub_actions_retired[] = { NULL };

static const char *const *const pub_actions[] = {
	[AM_PUB_STATE_CREATED] = pub_actions_created,
	[AM_PUB_STATE_PROTOTYPED] = pub_actions_prototyped,
	[AM_PUB_STATE_PUBLISHED] = pub_actions_published,
	[AM_PUB_STATE_BLOCKED] = pub_actions_blocked,
	[AM_PUB_STATE_DEPRECATED] = pub_actions_deprecated,
	[AM_PUB_STATE_RETIRED] = pub_actions_retired,
};

/* The REST API's enum (publisher-api.yaml, change-lifecycle "action"):
 * "Demote to Prototyped" is listed there but no transition uses it. */
static const char *const pub_all_actions[] = {
	"Publish", "Deploy as a Prototype", "Demote to Created", "Demote to Prototyped",
	"Block",   "Deprecate",		    "Re-Publish",	 "Retire",
	NULL,
};

static gboolean
pub_state_valid (AmPubState state)
{
	return (guint) state < G_N_ELEMENTS (pub_state_names);
}

const char *
am_pub_state_to_string (AmPubState state)
{
	g_return_val_if_fail (pub_state_valid (state), NULL);
	return pub_state_names[state].upper;
}

const char *
am_pub_state_to_registry (AmPubState state)
{
	g_return_val_if_fail (pub_state_valid (state), NULL);
	return pub_state_names[state].title;
}

gboolean
am_pub_state_from_string (const char *text, AmPubState *state)
{
	if (text == NULL)
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS (pub_state_names); i++) {
		if (g_ascii_strcasecmp (text, pub_state_names[i].upper) == 0) {
			*state = (AmPubState) i;
			return TRUE;
		}
	}
	return FALSE;
}

const char *const *
am_pub_lifecycle_actions (AmPubState state)
{
	g_return_val_if_fail (pub_state_valid (state), pub_actions_retired);
	return pub_actions[state];
}

const char *const *
am_pub_lifecycle_all_actions (void)
{
	return pub_all_actions;
}

gboolean
am_pub_lifecycle_next (AmPubState from, const char *action, AmPubState *to, GError **error)
{
	g_autoptr (GString) allowed = NULL;

	g_return_val_if_fail (pub_state_valid (from), FALSE);
	for (const PubTransition *t = pub_transitions[from]; action != NULL && t->action; t++) {
		if (g_strcmp0 (t->action, action) == 0) {
			*to = t->target;
			return TRUE;
		}
	}
	/* Arrays.toString(): "[a, b]", "[]" when there is none. */
	allowed = g_string_new ("[");
	for (const PubTransition *t = pub_transitions[from]; t->action; t++)
		g_string_append_printf (allowed, "%s%s", t == pub_transitions[from] ? "" : ", ",
					t->action);
	g_string_append_c (allowed, ']');
	g_set_error (error, AM_PUB_ERROR, AM_PUB_ERROR_NOT_ALLOWED,
		     "Action '%s' is not allowed. Allowed actions are %s",
		     action != NULL ? action : "null", allowed->str);
	return FALSE;
}

gboolean
am_pub_state_on_gateway (AmPubState state)
{
	return state == AM_PUB_STATE_PUBLISHED || state == AM_PUB_STATE_PROTOTYPED ||
	       state == AM_PUB_STATE_DEPRECATED || state == AM_PUB_STATE_BLOCKED;
}

AmPubGatewayOp
am_pub_lifecycle_gateway_op (AmPubState from, AmPubState to)
{
	if (from == to)
		return AM_PUB_GATEWAY_NONE;
	return am_pub_state_on_gateway (to) ? AM_PUB_GATEWAY_PUBLISH : AM_PUB_GATEWAY_REMOVE;
}
