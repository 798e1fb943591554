/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Java HashMap iteration order (am-pub-util.h).  A HashMap (Java 8+) keeps
 * a power-of-two table of at least 16 buckets, doubled while the size
 * exceeds 3/4 of it; a key goes to bucket (h ^ h >>> 16) & (capacity - 1)
 * with h = String.hashCode(), chains keep insertion order (resizing splits
 * them without reordering) and iteration walks the buckets in index order.
 * Bins only turn into trees past 8 entries in a 64+ table, which the small
 * maps rendered here never reach.
 */
#include "config.h"

#include "am-pub-util.h"

#include <stdlib.h>
#include <string.h>

static guint32
pub_java_string_hash (const char *s)
{
	guint32 h = 0;
	const char *p = s;

	/* UTF-8 -> UTF-16 code units, as Java's String holds them. */
	while (*p != '\0') {
		gunichar c = g_utf8_get_char_validated (p, -1);

		if (c == (gunichar) -1 || c == (gunichar) -2) {
			c = (guchar) *p;
			p++;
		} else {
			p = g_utf8_next_char (p);
		}
		if (c >= 0x10000) {
			c -= 0x10000;
			h = 31 * h + (0xD800 + (c >> 10));
			h = 31 * h + (0xDC00 + (c & 0x3FF));
		} else {
			h = 31 * h + c;
		}
	}
	return h;
}

typedef struct {
	const char *key;
	guint bucket;
	guint index;
} PubHashSlot;

static int
pub_slot_cmp (gconstpointer a, gconstpointer b)
{
	const PubHashSlot *x = a, *y = b;

	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	return x->index < y->index ? -1 : (x->index > y->index);
}

void
am_pub_java_hash_order (const char **keys, guint n)
{
	g_autofree PubHashSlot *slots = NULL;
	guint capacity = 16;

	if (n < 2)
		return;
	while (n > capacity / 4 * 3)
		capacity *= 2;
	slots = g_new (PubHashSlot, n);
	for (guint i = 0; i < n; i++) {
		guint32 h = pub_java_string_hash (keys[i]);

		h ^= h >> 16;
		slots[i] = (PubHashSlot){ keys[i], h & (capacity - 1), i };
	}
	qsort (slots, n, sizeof (PubHashSlot), pub_slot_cmp);
	for (guint i = 0; i < n; i++)
		keys[i] = slots[i].key;
}
