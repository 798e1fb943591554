/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The "pizzashack-sample" module: the PizzaShack sample backend
 * (am-sample-pizzashack.c) on the management server at
 * /am/sample/pizzashack/v1/api/, where WSO2 2.x deployed its sample webapp.
 * Default profile only: a split deployment has no use for a demo backend.
 */
#define G_LOG_DOMAIN "am.sample"
#include "config.h"

#include "am-mgmt.h"
#include "am-sample.h"
#include "am-server.h"

typedef struct {
	AmMgmt *mgmt;
	AmPizzaShack *shack;
} SampleState;

static gpointer
sample_start (AmServer *server, GError **error)
{
	AmMgmt *mgmt = am_server_get_mgmt (server);
	SampleState *st;

	if (mgmt == NULL) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
			     "the PizzaShack sample needs the management server");
		return NULL;
	}
	st = g_new0 (SampleState, 1);
	st->mgmt = mgmt;
	st->shack = am_pizzashack_new ();
	am_mgmt_add_handler (mgmt, AM_SAMPLE_PIZZASHACK_PATH, am_pizzashack_handle, st->shack,
			     NULL);
	g_message ("PizzaShack sample backend at %s/", AM_SAMPLE_PIZZASHACK_PATH);
	return st;
}

static void
sample_stop (gpointer state)
{
	SampleState *st = state;

	am_mgmt_remove_handler (st->mgmt, AM_SAMPLE_PIZZASHACK_PATH);
	am_pizzashack_free (st->shack);
	g_free (st);
}

/* no profile but "default" */
static const char *const sample_profiles[] = { NULL };

const AmModule am_pizzashack_sample_module = {
	.name = "pizzashack-sample",
	.profiles = sample_profiles,
	.start = sample_start,
	.stop = sample_stop,
};
