/* SPDX-License-Identifier: Apache-2.0 */
/* The PizzaShack sample backend (am-sample-pizzashack.c) through a real
 * SoupServer on loopback: menu, order lifecycle, delivery over time, and
 * the 400/404/405/415 answers. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "am-sample.h"
#include "test-http-util.h"
#include "test-soup-server.h"

#define P AM_SAMPLE_PIZZASHACK_PATH

static gint64 fake_now = 1700000000;

static gint64
clock_now (void)
{
	/* read in the server thread; written by the test between requests */
	return fake_now;
}

typedef struct {
	AmPizzaShack *shack;
	TestSoupServer *server;
} Fixture;

static void
setup_handler (SoupServer *soup, gpointer data)
{
	Fixture *f = data;

	soup_server_add_handler (soup, P, am_pizzashack_handle, f->shack, NULL);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	f->shack = am_pizzashack_new ();
	am_pizzashack_set_clock (f->shack, clock_now);
	f->server = test_soup_server_new (setup_handler, f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	test_soup_server_free (f->server);
	am_pizzashack_free (f->shack);
}

typedef struct {
	TestResponse *r;
	JsonParser *parser;
	JsonNode *root; /* borrowed from the parser */
} Reply;

static void
reply_clear (Reply *r)
{
	g_clear_pointer (&r->r, test_response_free);
	g_clear_object (&r->parser);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Reply, reply_clear)

static void
call (Fixture *f, Reply *out, const char *method, const char *target, const char *ctype,
      const char *body)
{
	g_autoptr (TestClient) c = test_client_new (test_soup_server_port (f->server), NULL);
	g_autofree char *req = g_strdup_printf (
		"%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%sContent-Length: %zu\r\n"
		"Connection: close\r\n\r\n%s",
		method, target, ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "",
		body ? strlen (body) : 0, body ? body : "");
	g_autoptr (GError) error = NULL;

	test_client_send_str (c, req);
	out->r = test_client_read (c, FALSE);
	g_assert_nonnull (out->r);
	out->parser = json_parser_new ();
	if (out->r->body->len > 0) {
		g_assert_cmpstr (test_response_header (out->r, "Content-Type"), ==, "application/json");
		g_assert_true (json_parser_load_from_data (out->parser, (char *) out->r->body->data,
							   out->r->body->len, &error));
		g_assert_no_error (error);
		out->root = json_parser_get_root (out->parser);
	}
}

static const char *
member_str (JsonNode *obj, const char *name)
{
	return json_object_get_string_member (json_node_get_object (obj), name);
}

/* An error answer: status and the ErrorDTO-shaped body, whose description
 * contains @text. */
static void
assert_error (Reply *r, guint status, const char *text)
{
	JsonObject *o;

	g_assert_cmpuint (r->r->status, ==, status);
	g_assert_nonnull (r->root);
	o = json_node_get_object (r->root);
	g_assert_cmpint (json_object_get_int_member (o, "code"), ==, status);
	g_assert_cmpstr (json_object_get_string_member (o, "message"), ==,
			 soup_status_get_phrase (status));
	if (strstr (json_object_get_string_member (o, "description"), text) == NULL)
		g_error ("description '%s' lacks '%s'",
			 json_object_get_string_member (o, "description"), text);
}

static void
test_menu (Fixture *f, gconstpointer data)
{
	g_auto (Reply) r = { 0 };
	g_auto (Reply) icon = { 0 };
	g_auto (Reply) noicon = { 0 };
	JsonArray *menu;

	call (f, &r, "GET", P "/menu", NULL, NULL);
	g_assert_cmpuint (r.r->status, ==, 200);
	menu = json_node_get_array (r.root);
	g_assert_cmpuint (json_array_get_length (menu), >=, 5);
	for (guint i = 0; i < json_array_get_length (menu); i++) {
		JsonObject *item = json_array_get_object_element (menu, i);

		g_assert_cmpstr (json_object_get_string_member (item, "name"), !=, "");
		g_assert_cmpstr (json_object_get_string_member (item, "description"), !=, "");
		g_assert_true (g_regex_match_simple ("^[0-9]+\\.[0-9]{2}$",
						     json_object_get_string_member (item, "price"),
						     0, 0));
		g_assert_true (g_str_has_prefix (json_object_get_string_member (item, "icon"),
						 P "/images/"));
	}
	/* the first icon is there and is SVG */
	{
		g_autoptr (TestClient) c = test_client_new (test_soup_server_port (f->server), NULL);
		g_autofree char *target =
			g_strdup (json_object_get_string_member (json_array_get_object_element (menu, 0),
								 "icon"));
		g_autofree char *req = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n", target);
		g_autoptr (TestResponse) ir = NULL;

		test_client_send_str (c, req);
		ir = test_client_read (c, FALSE);
		g_assert_cmpuint (ir->status, ==, 200);
		g_assert_cmpstr (test_response_header (ir, "Content-Type"), ==, "image/svg+xml");
		g_assert_nonnull (g_strstr_len ((char *) ir->body->data, ir->body->len, "<svg"));
	}
	call (f, &noicon, "GET", P "/images/99.svg", NULL, NULL);
	assert_error (&noicon, 404, "No such image");
	call (f, &icon, "POST", P "/menu", "application/json", "{}");
	assert_error (&icon, 405, "not allowed");
	g_assert_cmpstr (test_response_header (icon.r, "Allow"), ==, "GET");
}

static char *
place_order (Fixture *f, const char *type, int qty)
{
	g_auto (Reply) r = { 0 };
	g_autofree char *body = g_strdup_printf (
		"{\"pizzaType\":\"%s\",\"quantity\":%d,\"customerName\":\"Ada\","
		"\"address\":\"1 Loop Street\",\"creditCardNumber\":\"4111 1111-1111 1111\"}",
		type, qty);
	g_autofree char *location = NULL;
	const char *id;

	call (f, &r, "POST", P "/order", "application/json", body);
	g_assert_cmpuint (r.r->status, ==, 201);
	id = member_str (r.root, "orderId");
	g_assert_true (g_uuid_string_is_valid (id));
	location = g_strdup_printf (P "/order/%s", id);
	g_assert_cmpstr (test_response_header (r.r, "Location"), ==, location);
	g_assert_cmpstr (member_str (r.root, "pizzaType"), ==, type);
	g_assert_cmpint (json_object_get_int_member (json_node_get_object (r.root), "quantity"), ==,
			 qty);
	/* the card number is never echoed whole */
	g_assert_cmpstr (member_str (r.root, "creditCardNumber"), ==, "************1111");
	g_assert_false (json_object_get_boolean_member (json_node_get_object (r.root), "delivered"));
	return g_strdup (id);
}

static void
test_order_lifecycle (Fixture *f, gconstpointer data)
{
	g_autofree char *id = place_order (f, "Garden Patch", 2);
	g_autofree char *item = g_strdup_printf (P "/order/%s", id);
	g_autofree char *delivery = g_strdup_printf (P "/delivery/%s", id);
	g_autofree char *put_bad_id = NULL;

	{
		g_auto (Reply) r = { 0 };
		call (f, &r, "GET", item, NULL, NULL);
		g_assert_cmpuint (r.r->status, ==, 200);
		g_assert_cmpstr (member_str (r.root, "orderId"), ==, id);
		g_assert_cmpstr (member_str (r.root, "customerName"), ==, "Ada");
		g_assert_cmpstr (member_str (r.root, "creditCardNumber"), ==, "************1111");
		g_assert_null (g_strstr_len ((char *) r.r->body->data, r.r->body->len, "4111"));
	}
	{
		g_auto (Reply) r = { 0 };
		call (f, &r, "PUT", item, "application/json",
		      "{\"pizzaType\":\"Firecracker\",\"quantity\":3,\"customerName\":\"Ada L.\","
		      "\"address\":\"2 Loop Street\"}");
		g_assert_cmpuint (r.r->status, ==, 200);
		g_assert_cmpstr (member_str (r.root, "pizzaType"), ==, "Firecracker");
		g_assert_cmpstr (member_str (r.root, "address"), ==, "2 Loop Street");
		/* card kept when not resent */
		g_assert_cmpstr (member_str (r.root, "creditCardNumber"), ==, "************1111");
	}
	{
		g_auto (Reply) r = { 0 };
		put_bad_id = g_strdup_printf (
			"{\"orderId\":\"other\",\"pizzaType\":\"Firecracker\",\"quantity\":3,"
			"\"customerName\":\"A\",\"address\":\"B\"}");
		call (f, &r, "PUT", item, "application/json", put_bad_id);
		assert_error (&r, 400, "differs");
	}
	/* delivery follows the clock */
	{
		g_auto (Reply) a = { 0 };
		g_auto (Reply) b = { 0 };
		g_auto (Reply) c = { 0 };
		g_auto (Reply) all = { 0 };
		g_auto (Reply) o = { 0 };

		call (f, &a, "GET", delivery, NULL, NULL);
		g_assert_cmpstr (member_str (a.root, "status"), ==, "PREPARING");
		g_assert_cmpstr (member_str (a.root, "estimatedDelivery"), ==, "2023-11-14T22:43:20Z");
		fake_now += 11 * 60;
		call (f, &b, "GET", delivery, NULL, NULL);
		g_assert_cmpstr (member_str (b.root, "status"), ==, "OUT_FOR_DELIVERY");
		fake_now += 20 * 60;
		call (f, &c, "GET", delivery, NULL, NULL);
		g_assert_cmpstr (member_str (c.root, "status"), ==, "DELIVERED");
		call (f, &o, "GET", item, NULL, NULL);
		g_assert_true (json_object_get_boolean_member (json_node_get_object (o.root), "delivered"));
		call (f, &all, "GET", P "/delivery", NULL, NULL);
		g_assert_cmpuint (all.r->status, ==, 200);
		g_assert_cmpuint (json_array_get_length (json_node_get_array (all.root)), ==, 1);
		fake_now -= 31 * 60;
	}
	{
		g_auto (Reply) d = { 0 };
		g_auto (Reply) gone = { 0 };
		g_auto (Reply) gone2 = { 0 };

		call (f, &d, "DELETE", item, NULL, NULL);
		g_assert_cmpuint (d.r->status, ==, 200);
		g_assert_cmpstr (member_str (d.root, "orderId"), ==, id);
		call (f, &gone, "GET", item, NULL, NULL);
		assert_error (&gone, 404, id);
		call (f, &gone2, "GET", delivery, NULL, NULL);
		assert_error (&gone2, 404, "not found");
	}
}

static void
test_bad_orders (Fixture *f, gconstpointer data)
{
	static const struct {
		const char *ctype, *body;
		guint status;
		const char *text;
	} cases[] = {
		{ "application/json", "", 400, "cannot be empty" },
		{ "application/json", "{not json", 400, "Malformed" },
		{ "application/json", "[1,2]", 400, "JSON object" },
		{ "text/plain", "{}", 415, "application/json" },
		{ "application/json", "{}", 400, "pizzaType: a string is required" },
		{ "application/json",
		  "{\"pizzaType\":\"Pineapple Surprise\",\"quantity\":1,\"customerName\":\"a\",\"address\":\"b\"}",
		  400, "'Pineapple Surprise' is not on the menu" },
		{ "application/json",
		  "{\"pizzaType\":\"Firecracker\",\"quantity\":0,\"customerName\":\"a\",\"address\":\"b\"}",
		  400, "quantity: an integer from 1 to 100" },
		{ "application/json",
		  "{\"pizzaType\":\"Firecracker\",\"quantity\":\"2\",\"customerName\":\"a\",\"address\":\"b\"}",
		  400, "quantity" },
		{ "application/json",
		  "{\"pizzaType\":\"Firecracker\",\"quantity\":2,\"customerName\":\"\",\"address\":\"b\"}",
		  400, "customerName: must be 1 to 256 characters" },
		{ "application/json",
		  "{\"pizzaType\":\"Firecracker\",\"quantity\":2,\"customerName\":\"a\",\"address\":\"b\","
		  "\"creditCardNumber\":\"4111-abc\"}",
		  400, "creditCardNumber: 12 to 19 digits" },
		{ "application/json",
		  "{\"pizzaType\":\"Firecracker\",\"quantity\":2,\"customerName\":\"a\",\"address\":\"b\","
		  "\"delivered\":\"yes\"}",
		  400, "delivered: must be true or false" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_auto (Reply) r = { 0 };

		g_test_message ("case %zu: %s", i, cases[i].body);
		call (f, &r, "POST", P "/order", cases[i].ctype, cases[i].body);
		assert_error (&r, cases[i].status, cases[i].text);
	}
	/* several problems are reported at once */
	{
		g_auto (Reply) r = { 0 };
		call (f, &r, "POST", P "/order", "application/json", "{\"quantity\":500}");
		assert_error (&r, 400, "pizzaType: a string is required; customerName");
		g_assert_nonnull (strstr (member_str (r.root, "description"), "quantity"));
	}
	/* nothing was stored */
	{
		g_auto (Reply) all = { 0 };
		call (f, &all, "GET", P "/delivery", NULL, NULL);
		g_assert_cmpuint (json_array_get_length (json_node_get_array (all.root)), ==, 0);
	}
}

static void
test_not_found_and_methods (Fixture *f, gconstpointer data)
{
	static const struct {
		const char *method, *target;
		guint status;
		const char *allow;
	} cases[] = {
		{ "GET", P, 404, NULL },
		{ "GET", P "/", 404, NULL },
		{ "GET", P "/pizzas", 404, NULL },
		{ "GET", P "/order/1/2", 404, NULL },
		{ "GET", P "/order/0b3f6c8e-0000-4000-8000-000000000000", 404, NULL },
		{ "PUT", P "/order/0b3f6c8e-0000-4000-8000-000000000000", 404, NULL },
		{ "DELETE", P "/order/nope", 404, NULL },
		{ "GET", P "/order", 405, "POST" },
		{ "DELETE", P "/menu", 405, "GET" },
		{ "POST", P "/delivery", 405, "GET" },
		{ "PATCH", P "/order/x", 405, "GET, PUT, DELETE" },
	};

	for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_auto (Reply) r = { 0 };

		g_test_message ("%s %s", cases[i].method, cases[i].target);
		call (f, &r, cases[i].method, cases[i].target, NULL, NULL);
		g_assert_cmpuint (r.r->status, ==, cases[i].status);
		g_assert_nonnull (r.root);
		g_assert_cmpstr (test_response_header (r.r, "Allow"), ==, cases[i].allow);
	}
	/* an id that is not ours is not echoed back */
	{
		g_auto (Reply) r = { 0 };
		call (f, &r, "GET", P "/order/%3Cscript%3E", NULL, NULL);
		assert_error (&r, 404, "Requested order not found");
	}
	/* a trailing slash is the same resource */
	{
		g_auto (Reply) r = { 0 };
		call (f, &r, "GET", P "/menu/", NULL, NULL);
		g_assert_cmpuint (r.r->status, ==, 200);
	}
}

static void
test_capacity (Fixture *f, gconstpointer data)
{
	g_autofree char *first = place_order (f, "Firecracker", 1);
	g_autofree char *first_item = g_strdup_printf (P "/order/%s", first);
	g_autofree char *last = NULL;
	g_auto (Reply) gone = { 0 };
	g_auto (Reply) all = { 0 };

	for (int i = 1; i < AM_SAMPLE_PIZZASHACK_MAX_ORDERS; i++)
		g_free (place_order (f, "Firecracker", 1));
	last = place_order (f, "Island Breeze", 1);
	/* the oldest made room for the newest */
	call (f, &gone, "GET", first_item, NULL, NULL);
	assert_error (&gone, 404, first);
	call (f, &all, "GET", P "/delivery", NULL, NULL);
	g_assert_cmpuint (json_array_get_length (json_node_get_array (all.root)), ==,
			  AM_SAMPLE_PIZZASHACK_MAX_ORDERS);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
#define T(name, fn) g_test_add ("/pizzashack/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	T ("menu", test_menu);
	T ("order-lifecycle", test_order_lifecycle);
	T ("bad-orders", test_bad_orders);
	T ("not-found-and-methods", test_not_found_and_methods);
	T ("capacity", test_capacity);
	return g_test_run ();
}
