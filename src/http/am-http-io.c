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

int
am_http_head_on_field (AmHttpHead *hs, const char *at, gsize n)
{
	if (hs->in_value || hs->n == 0) {
		/* A new header line: close the previous value. */
		if (hs->n > 0 && head_terminate (hs) < 0)
			return -1;
		if (hs->n >= hs->max) {
			hs->overflow = TRUE;
			return -1;
		}
		hs->h[hs->n].name = hs->len;
		hs->h[hs->n].value = 0;
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
		if (head_terminate (hs) < 0)
			return -1;
		hs->h[hs->n - 1].value = hs->len;
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

int
am_http_head_finish (AmHttpHead *hs)
{
	if (hs->n > 0) {
		if (hs->in_value) {
			if (head_terminate (hs) < 0)
				return -1;
		} else {
			/* "Name:" with an empty value. */
			if (head_terminate (hs) < 0)
				return -1;
			hs->h[hs->n - 1].value = 0;
		}
	}
	hs->in_value = FALSE;
	return hs->overflow ? -1 : 0;
}

const char *
am_http_head_get (const AmHttpHead *hs, const char *name)
{
	for (guint i = 0; i < hs->n; i++)
		if (g_ascii_strcasecmp (hs->buf + hs->h[i].name, name) == 0)
			return hs->buf + hs->h[i].value;
	return NULL;
}

guint
am_http_head_count (const AmHttpHead *hs, const char *name)
{
	guint count = 0;

	for (guint i = 0; i < hs->n; i++)
		if (g_ascii_strcasecmp (hs->buf + hs->h[i].name, name) == 0)
			count++;
	return count;
}

gboolean
am_http_list_has (const char *list, const char *token)
{
	gsize tl = strlen (token);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		const char *end;
		gsize n;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		end = strchr (p, ',');
		n = end != NULL ? (gsize) (end - p) : strlen (p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == tl && g_ascii_strncasecmp (p, token, n) == 0)
			return TRUE;
		p = end;
	}
	return FALSE;
}

/* RFC 9110 §7.6.1 plus the proxy-only headers (§7.6.1, RFC 9112 §7.1
 * for Transfer-Encoding, which the engine re-frames). */
static const char *const hop_headers[] = {
	"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
	"proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
	"content-length", "expect",
};

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

	if (!hop_impossible (name))
		for (guint k = 0; k < G_N_ELEMENTS (hop_headers); k++)
			if (g_ascii_strcasecmp (name, hop_headers[k]) == 0)
				return TRUE;
	/* listed in a Connection header */
	for (guint k = 0; k < hs->n; k++) {
		const char *other = am_http_head_name (hs, k);

		if (g_ascii_tolower (other[0]) == 'c' &&
		    g_ascii_strcasecmp (other, "connection") == 0 &&
		    am_http_list_has (am_http_head_value (hs, k), name))
			return TRUE;
	}
	return FALSE;
}

gboolean
am_http_is_token (const char *s)
{
	if (*s == '\0')
		return FALSE;
	for (; *s != '\0'; s++) {
		guchar ch = *s;

		if (!(g_ascii_isalnum (ch) || strchr ("!#$%&'*+-.^_`|~", ch) != NULL))
			return FALSE;
	}
	return TRUE;
}

gboolean
am_http_is_field_value (const char *s)
{
	for (; *s != '\0'; s++) {
		guchar ch = *s;

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return FALSE;
	}
	return TRUE;
}

/* ---- header edits ---- */

gboolean
am_http_edits_cover (GArray *edits, gboolean response, const char *name)
{
	if (edits == NULL)
		return FALSE;
	for (guint i = 0; i < edits->len; i++) {
		AmHttpEdit *e = &g_array_index (edits, AmHttpEdit, i);

		if (e->response == response && !e->fallback &&
		    g_ascii_strcasecmp (e->name, name) == 0)
			return TRUE;
	}
	return FALSE;
}

void
am_http_edits_write (GArray *edits, gboolean response, const AmHttpHead *hs, AmHttpBuf *out)
{
	if (edits == NULL)
		return;
	for (guint i = 0; i < edits->len; i++) {
		AmHttpEdit *e = &g_array_index (edits, AmHttpEdit, i);

		if (e->response != response || e->value == NULL ||
		    (e->fallback && hs != NULL && am_http_head_get (hs, e->name) != NULL))
			continue;
		am_http_buf_append_str (out, e->name);
		am_http_buf_append (out, ": ", 2);
		am_http_buf_append_str (out, e->value);
		am_http_buf_append (out, "\r\n", 2);
	}
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
