/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Plumbing of the data-plane HTTP engine: output buffers, the header store
 * the libhttp-parser callbacks fill (one allocation per head, strings
 * NUL-terminated in place so lookups hand out plain C strings), the
 * RFC 9110 character checks libhttp-parser leaves to us (header names are
 * tokens, values have no control bytes) and non-blocking reads and writes
 * over a plain or an OpenSSL socket.
 */
#include "config.h"

#define G_LOG_DOMAIN "am.http"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/err.h>

#include "am-http-private.h"

/* ---- buffers ---- */

void
am_http_buf_reserve (AmHttpBuf *b, gsize extra)
{
	if (b->off > 0 && b->off == b->len)
		b->off = b->len = 0;
	if (b->len + extra <= b->cap)
		return;
	if (b->off > 0 && b->len - b->off + extra <= b->cap) {
		memmove (b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		return;
	}
	b->cap = MAX (MAX (b->cap * 2, 4096), b->len + extra);
	b->data = g_realloc (b->data, b->cap);
}

void
am_http_buf_append (AmHttpBuf *b, const void *p, gsize n)
{
	am_http_buf_reserve (b, n);
	memcpy (b->data + b->len, p, n);
	b->len += n;
}

void
am_http_buf_append_str (AmHttpBuf *b, const char *s)
{
	am_http_buf_append (b, s, strlen (s));
}

void
am_http_buf_append_header (AmHttpBuf *b, const char *name, gsize name_len, const char *value,
			   gsize value_len)
{
	char *p;

	am_http_buf_reserve (b, name_len + value_len + 4);
	p = b->data + b->len;
	memcpy (p, name, name_len);
	p += name_len;
	*p++ = ':';
	*p++ = ' ';
	memcpy (p, value, value_len);
	p += value_len;
	*p++ = '\r';
	*p++ = '\n';
	b->len = (gsize) (p - b->data);
}

void
am_http_buf_printf (AmHttpBuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	am_http_buf_reserve (b, 128);
	va_start (ap, fmt);
	n = vsnprintf (b->data + b->len, b->cap - b->len, fmt, ap);
	va_end (ap);
	if (n < 0)
		return;
	if ((gsize) n >= b->cap - b->len) {
		am_http_buf_reserve (b, n + 1);
		va_start (ap, fmt);
		vsnprintf (b->data + b->len, b->cap - b->len, fmt, ap);
		va_end (ap);
	}
	b->len += n;
}

void
am_http_buf_append_chunk (AmHttpBuf *b, const void *p, gsize n)
{
	char size[24];
	int k = g_snprintf (size, sizeof size, "%zx\r\n", n);

	am_http_buf_reserve (b, k + n + 2);
	am_http_buf_append (b, size, k);
	am_http_buf_append (b, p, n);
	am_http_buf_append (b, "\r\n", 2);
}

void
am_http_buf_consume (AmHttpBuf *b, gsize n)
{
	b->off += n;
	if (b->off >= b->len)
		b->off = b->len = 0;
}

void
am_http_buf_clear (AmHttpBuf *b)
{
	g_clear_pointer (&b->data, g_free);
	b->off = b->len = b->cap = 0;
}

const guint8 am_http_lower[256] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
	0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
	0x40, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
	0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
	0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
	0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f,
	0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
	0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f,
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
	0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
	0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
	0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf,
	0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef,
	0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff,
};

/* ---- header store ---- */

void
am_http_head_init (AmHttpHead *hs, gsize cap, guint max)
{
	hs->cap = cap;
	hs->buf = g_malloc (cap);
	hs->max = MIN (max, AM_HTTP_MAX_HEADERS);
	am_http_head_reset (hs);
}

void
am_http_head_reset (AmHttpHead *hs)
{
	/* Offset 0 is the empty string, so 0 can mean "none". */
	hs->buf[0] = '\0';
	hs->len = 1;
	hs->n = 0;
	hs->in_value = FALSE;
	hs->overflow = FALSE;
	hs->connection_names_headers = FALSE;
}

void
am_http_head_free (AmHttpHead *hs)
{
	g_clear_pointer (&hs->buf, g_free);
}

static int
head_put (AmHttpHead *hs, const char *at, gsize n)
{
	/* One byte stays free for the terminating NUL. */
	if (hs->overflow || n >= hs->cap - hs->len) {
		hs->overflow = TRUE;
		return -1;
	}
	memcpy (hs->buf + hs->len, at, n);
	hs->len += n;
	return 0;
}

static int
head_terminate (AmHttpHead *hs)
{
	return head_put (hs, "", 1);
}

/* End the last header's value (its length is known from here on). */
static int
head_end_value (AmHttpHead *hs)
{
	AmHttpHdr *h = &hs->h[hs->n - 1];

	h->value_len = hs->len - h->value;
	return head_terminate (hs);
}

/* End the last header's name; its value starts after the NUL. */
static int
head_end_name (AmHttpHead *hs)
{
	AmHttpHdr *h = &hs->h[hs->n - 1];

	h->name_len = hs->len - h->name;
	if (head_terminate (hs) < 0)
		return -1;
	h->value = hs->len;
	h->value_len = 0;
	return 0;
}

int
am_http_head_on_field (AmHttpHead *hs, const char *at, gsize n)
{
	if (hs->in_value || hs->n == 0) {
		/* A new header line: close the previous value. */
		if (hs->n > 0 && head_end_value (hs) < 0)
			return -1;
		if (hs->n >= hs->max) {
			hs->overflow = TRUE;
			return -1;
		}
		hs->h[hs->n].name = hs->len;
		hs->h[hs->n].value = 0;
		hs->h[hs->n].name_len = hs->h[hs->n].value_len = 0;
		hs->n++;
		hs->in_value = FALSE;
	}
	return head_put (hs, at, n);
}

int
am_http_head_on_value (AmHttpHead *hs, const char *at, gsize n)
{
	if (hs->n == 0)
		return -1;
	if (!hs->in_value) {
		if (head_end_name (hs) < 0)
			return -1;
		hs->in_value = TRUE;
	}
	return head_put (hs, at, n);
}

guint32
am_http_head_add_string (AmHttpHead *hs, const char *at, gsize n)
{
	guint32 off = hs->len;

	if (head_put (hs, at, n) < 0)
		return 0;
	return off;
}

int
am_http_head_extend_string (AmHttpHead *hs, const char *at, gsize n)
{
	return head_put (hs, at, n);
}

static gboolean
head_name_is (const AmHttpHead *hs, guint i, const char *name, gsize len)
{
	return hs->h[i].name_len == len && am_http_caseeq (hs->buf + hs->h[i].name, name, len);
}

/* The next element of a comma-separated header value at *@p, trimmed of
 * blanks: its start (NULL at the end), its length in @n; *@p moves past
 * it.  Empty elements are skipped. */
static const char *
list_next (const char **p, gsize *n)
{
	const char *v = *p, *start;

	while (*v == ' ' || *v == '\t' || *v == ',')
		v++;
	if (*v == '\0') {
		*p = v;
		return NULL;
	}
	start = v;
	v += strcspn (v, ",");
	*p = v;
	while (v > start && (v[-1] == ' ' || v[-1] == '\t'))
		v--;
	*n = (gsize) (v - start);
	return start;
}

/* Whether a Connection value names any header besides the usual "close"
 * and "keep-alive" options (keep-alive is hop-by-hop anyway). */
static gboolean
connection_names_others (const char *v)
{
	gsize n;

	for (const char *e; (e = list_next (&v, &n)) != NULL;)
		if (!(n == 5 && g_ascii_strncasecmp (e, "close", 5) == 0) &&
		    !(n == 10 && g_ascii_strncasecmp (e, "keep-alive", 10) == 0))
			return TRUE;
	return FALSE;
}

int
am_http_head_finish (AmHttpHead *hs)
{
	if (hs->n > 0) {
		if (hs->in_value) {
			if (head_end_value (hs) < 0)
				return -1;
		} else {
			/* "Name:" with an empty value (offset 0 is ""). */
			if (head_end_name (hs) < 0)
				return -1;
			hs->h[hs->n - 1].value = 0;
		}
	}
	hs->in_value = FALSE;
	if (hs->overflow)
		return -1;
	for (guint i = 0; i < hs->n && !hs->connection_names_headers; i++)
		if (head_name_is (hs, i, "Connection", 10))
			hs->connection_names_headers = connection_names_others (am_http_head_value (hs, i));
	return 0;
}

const char *
am_http_head_get_len (const AmHttpHead *hs, const char *name, gsize len)
{
	for (guint i = 0; i < hs->n; i++)
		if (head_name_is (hs, i, name, len))
			return hs->buf + hs->h[i].value;
	return NULL;
}

guint
am_http_head_count_len (const AmHttpHead *hs, const char *name, gsize len)
{
	guint count = 0;

	for (guint i = 0; i < hs->n; i++)
		if (head_name_is (hs, i, name, len))
			count++;
	return count;
}

gboolean
am_http_list_has (const char *list, const char *token)
{
	gsize tl = strlen (token), n;

	for (const char *e; (e = list_next (&list, &n)) != NULL;)
		if (n == tl && g_ascii_strncasecmp (e, token, n) == 0)
			return TRUE;
	return FALSE;
}

/* RFC 9110 §7.6.1 plus the proxy-only headers (§7.6.1, RFC 9112 §7.1
 * for Transfer-Encoding, which the engine re-frames). */
#define HOP(s) { s, sizeof s - 1 }
static const struct {
	const char *name;
	gsize len;
} hop_headers[] = {
	HOP ("connection"), HOP ("keep-alive"), HOP ("proxy-connection"),
	HOP ("proxy-authenticate"), HOP ("proxy-authorization"), HOP ("te"), HOP ("trailer"),
	HOP ("transfer-encoding"), HOP ("upgrade"), HOP ("content-length"), HOP ("expect"),
};
#undef HOP

gsize
am_http_format_uint (char *out, guint64 v)
{
	char tmp[20];
	gsize n = 0;

	do {
		tmp[n++] = (char) ('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (gsize i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/* Whether @name starts with a letter no hop-by-hop header starts with (the
 * common case, decided without a string comparison). */
static gboolean
hop_impossible (const char *name)
{
	switch (g_ascii_tolower (name[0])) {
	case 'c': case 'e': case 'k': case 'p': case 't': case 'u':
		return FALSE;
	default:
		return TRUE;
	}
}

gboolean
am_http_head_is_hop (const AmHttpHead *hs, guint i)
{
	const char *name = am_http_head_name (hs, i);
	gsize len = hs->h[i].name_len;

	if (!hop_impossible (name))
		for (guint k = 0; k < G_N_ELEMENTS (hop_headers); k++)
			if (hop_headers[k].len == len && am_http_caseeq (name, hop_headers[k].name, len))
				return TRUE;
	/* listed in a Connection header (one that names more than options) */
	if (hs->connection_names_headers)
		for (guint k = 0; k < hs->n; k++)
			if (head_name_is (hs, k, "Connection", 10) &&
			    am_http_list_has (am_http_head_value (hs, k), name))
				return TRUE;
	return FALSE;
}

/* tchar (RFC 9110 §5.6.2) */
static const guint8 token_chars[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1,
	['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1,
	['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
	['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
	['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
	['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,
	['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1,
	['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
	['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
	['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

gboolean
am_http_is_token_len (const char *s, gsize len)
{
	if (len == 0)
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if (!token_chars[(guchar) s[i]])
			return FALSE;
	return TRUE;
}

static gboolean
field_byte_ok (guchar ch)
{
	return (ch >= 0x20 || ch == '\t') && ch != 0x7f;
}

/* Eight bytes at a time: a word with no byte below 0x20 and none equal to
 * 0x7f (the usual case) needs no closer look; one that has is checked
 * byte by byte, since HTAB is allowed. */
#define BYTES(c) (0x0101010101010101ull * (c))

gboolean
am_http_is_field_value_len (const char *s, gsize len)
{
	gsize i = 0;

	for (; i + 8 <= len; i += 8) {
		guint64 x, del;

		memcpy (&x, s + i, 8);
		del = x ^ BYTES (0x7f);
		if ((((x - BYTES (0x20)) & ~x) | ((del - BYTES (0x01)) & ~del)) & BYTES (0x80))
			for (gsize k = i; k < i + 8; k++)
				if (!field_byte_ok ((guchar) s[k]))
					return FALSE;
	}
	for (; i < len; i++)
		if (!field_byte_ok ((guchar) s[i]))
			return FALSE;
	return TRUE;
}
#undef BYTES

/* ---- header edits ---- */

void
am_http_edits_reset (AmHttpEdits *ed)
{
	ed->n = 0;
	ed->len = 0;
}

void
am_http_edits_free (AmHttpEdits *ed)
{
	g_clear_pointer (&ed->v, g_free);
	g_clear_pointer (&ed->buf, g_free);
	ed->n = ed->cap = 0;
	ed->len = ed->cap_buf = 0;
}

/* Copy @n bytes and a NUL into the string buffer; their offset. */
static guint32
edits_put (AmHttpEdits *ed, const char *s, gsize n)
{
	guint32 off = ed->len;

	if ((gsize) ed->len + n + 1 > ed->cap_buf) {
		gsize cap = MAX (MAX ((gsize) ed->cap_buf * 2, 512), (gsize) ed->len + n + 1);

		g_assert (cap <= G_MAXUINT32);
		ed->buf = g_realloc (ed->buf, cap);
		ed->cap_buf = (guint32) cap;
	}
	memcpy (ed->buf + off, s, n);
	ed->buf[off + n] = '\0';
	ed->len += (guint32) n + 1;
	return off;
}

static gboolean
edit_is (const AmHttpEdits *ed, const AmHttpEdit *e, const char *name, gsize len)
{
	return e->name_len == len && am_http_caseeq (ed->buf + e->name, name, len);
}

gboolean
am_http_edits_add (AmHttpEdits *ed, gboolean response, const char *name, const char *value,
		   gboolean fallback)
{
	gsize nlen = strlen (name), vlen = value != NULL ? strlen (value) : 0;
	AmHttpEdit *e;

	if (!am_http_is_token_len (name, nlen) ||
	    (value != NULL && !am_http_is_field_value_len (value, vlen)))
		return FALSE;
	for (guint i = 0; i < ed->n; i++)
		if (ed->v[i].response == response && !ed->v[i].superseded &&
		    edit_is (ed, &ed->v[i], name, nlen))
			ed->v[i].superseded = TRUE;
	if (ed->n == ed->cap) {
		ed->cap = MAX (ed->cap * 2, 16);
		ed->v = g_renew (AmHttpEdit, ed->v, ed->cap);
	}
	e = &ed->v[ed->n++];
	e->name = edits_put (ed, name, nlen);
	e->name_len = (guint32) nlen;
	e->value = value != NULL ? edits_put (ed, value, vlen) : 0;
	e->value_len = (guint32) vlen;
	e->response = response;
	e->fallback = fallback;
	e->remove = value == NULL;
	e->superseded = FALSE;
	return TRUE;
}

gboolean
am_http_edits_cover (const AmHttpEdits *ed, gboolean response, const char *name, gsize name_len)
{
	for (guint i = 0; i < ed->n; i++) {
		const AmHttpEdit *e = &ed->v[i];

		if (e->response == response && !e->fallback && !e->superseded &&
		    edit_is (ed, e, name, name_len))
			return TRUE;
	}
	return FALSE;
}

void
am_http_edits_write (const AmHttpEdits *ed, gboolean response, const AmHttpHead *hs,
		     AmHttpBuf *out)
{
	for (guint i = 0; i < ed->n; i++) {
		const AmHttpEdit *e = &ed->v[i];

		if (e->response != response || e->remove || e->superseded ||
		    (e->fallback && hs != NULL &&
		     am_http_head_get_len (hs, ed->buf + e->name, e->name_len) != NULL))
			continue;
		am_http_buf_append_header (out, ed->buf + e->name, e->name_len, ed->buf + e->value,
					   e->value_len);
	}
}

void
am_http_write_headers (AmHttpBuf *out, const AmHttpHead *hs, const AmHttpEdits *ed,
		       gboolean response)
{
	for (guint i = 0; i < hs->n; i++) {
		const AmHttpHdr *h = &hs->h[i];

		if (am_http_head_is_hop (hs, i) ||
		    am_http_edits_cover (ed, response, hs->buf + h->name, h->name_len))
			continue;
		am_http_buf_append_header (out, hs->buf + h->name, h->name_len, hs->buf + h->value,
					   h->value_len);
	}
	am_http_edits_write (ed, response, hs, out);
}

void
am_http_buf_append_content_length (AmHttpBuf *b, guint64 n)
{
	char v[24];

	am_http_buf_append_header (b, "Content-Length", 14, v, am_http_format_uint (v, n));
}

/* ---- sockets ---- */

static gssize
io_ssl_result (AmHttpIo *io, int r, gboolean reading)
{
	int err = SSL_get_error (io->ssl, r);

	switch (err) {
	case SSL_ERROR_WANT_READ:
		io->readable = FALSE;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		io->writable = FALSE;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error ();
		/* An EOF without close_notify: as good as a close for HTTP, whose
		 * framing tells truncation apart. */
		return reading && errno == 0 ? 0 : -2;
	default:
		g_debug ("TLS error on fd %d: %lu", io->fd, ERR_peek_error ());
		ERR_clear_error ();
		return -2;
	}
}

gssize
am_http_io_read (AmHttpIo *io, void *buf, gsize n)
{
	gssize r;

	if (io->ssl != NULL) {
		ERR_clear_error ();
		errno = 0;
		r = SSL_read (io->ssl, buf, (int) MIN (n, G_MAXINT));
		return r > 0 ? r : io_ssl_result (io, (int) r, TRUE);
	}
	do
		r = read (io->fd, buf, n);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			io->readable = FALSE;
			return -1;
		}
		return -2;
	}
	/* A short read drained the socket: the next edge will tell. */
	if ((gsize) r < n)
		io->readable = FALSE;
	return r;
}

int
am_http_io_flush (AmHttpIo *io, AmHttpBuf *b)
{
	while (am_http_buf_pending (b) > 0 && io->writable) {
		gsize n = am_http_buf_pending (b);
		gssize r;

		if (io->ssl != NULL) {
			ERR_clear_error ();
			errno = 0;
			r = SSL_write (io->ssl, b->data + b->off, (int) MIN (n, G_MAXINT));
			if (r <= 0) {
				r = io_ssl_result (io, (int) r, FALSE);
				if (r == -1)
					return 0;
				return -1;
			}
		} else {
			r = write (io->fd, b->data + b->off, n);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK) {
					io->writable = FALSE;
					return 0;
				}
				return -1;
			}
			if ((gsize) r < n)
				io->writable = FALSE;
		}
		am_http_buf_consume (b, r);
	}
	return 0;
}

void
am_http_io_close (AmHttpIo *io)
{
	if (io->ssl != NULL) {
		/* Best effort, never blocks: the socket is non-blocking. */
		if (SSL_is_init_finished (io->ssl))
			SSL_shutdown (io->ssl);
		ERR_clear_error ();
		g_clear_pointer (&io->ssl, SSL_free);
	}
	if (io->fd >= 0) {
		/* Closing drops the fd from epoll as well. */
		close (io->fd);
		io->fd = -1;
	}
}
