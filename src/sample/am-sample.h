/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PizzaShack sample backend (WSO2's sample webapp idea): a small REST
 * service with a menu, orders and deliveries kept in memory, mounted on the
 * management server at /am/sample/pizzashack/v1/api/ so that a fresh server
 * has a backend to publish an API for.  See am-sample-pizzashack.c.
 */
#pragma once

#include <libsoup/soup.h>

#define AM_SAMPLE_PIZZASHACK_PATH "/am/sample/pizzashack/v1/api"
/* Orders kept at most; the oldest goes when a new one would exceed it. */
#define AM_SAMPLE_PIZZASHACK_MAX_ORDERS 1000

typedef struct _AmPizzaShack AmPizzaShack;

AmPizzaShack *am_pizzashack_new (void);
void am_pizzashack_free (AmPizzaShack *shack);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmPizzaShack, am_pizzashack_free)

/* The clock (unix seconds) that delivery progress is measured with; tests
 * move it. */
void am_pizzashack_set_clock (AmPizzaShack *shack, gint64 (*now) (void));

/* The SoupServerCallback (@user_data: the AmPizzaShack), mounted at
 * AM_SAMPLE_PIZZASHACK_PATH. */
void am_pizzashack_handle (SoupServer *soup, SoupServerMessage *msg, const char *path,
			   GHashTable *query, gpointer user_data);
