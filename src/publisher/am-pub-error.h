/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Publisher's error domain, shared by its pure building blocks
 * (synapse generation, swagger, lifecycle) and the code that serves them.
 */
#pragma once

#include <glib.h>

#define AM_PUB_ERROR (am_pub_error_quark ())
GQuark am_pub_error_quark (void);

typedef enum {
	AM_PUB_ERROR_INVALID,	  /* input WSO2 would refuse (JSON, endpointConfig, model) */
	AM_PUB_ERROR_NOT_ALLOWED, /* lifecycle action not allowed from the current state */
	AM_PUB_ERROR_NO_ENDPOINT, /* the environment's key type has no endpoint: not deployed there */
	AM_PUB_ERROR_GATEWAY,	  /* a gateway environment could not be reached or refused a call */
} AmPubErrorCode;
