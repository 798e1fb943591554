/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Publisher's GError domain (am-pub-error.h).
 */
#include "config.h"

#include "am-pub-error.h"

G_DEFINE_QUARK (am-pub-error-quark, am_pub_error)
