/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small helpers the Publisher's renderers share.
 */
#pragma once

#include <glib.h>

/* Reorder @keys (n entries, distinct) into the iteration order of a
 * java.util.HashMap that had them put() in the given order: WSO2 builds
 * handler properties and swagger JSON objects in HashMaps, so that order
 * is the order its files show.  Keys are compared as Java Strings
 * (String.hashCode over UTF-16 code units). */
void am_pub_java_hash_order (const char **keys, guint n);
