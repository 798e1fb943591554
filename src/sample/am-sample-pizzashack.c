/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PizzaShack: the sample backend.  WSO2 API Manager ships a sample JAX-RS
 * webapp (am#sample#pizzashack#v1) at https://host:9443/am/sample/pizzashack/v1/api/
 * that its quick-start publishes as the PizzaShackAPI; this is the same idea
 * in a few hundred lines of C, with our own menu:
 *
 *   GET    /menu               the menu: [{name, description, price, icon}]
 *   GET    /images/{n}.svg     the menu icons (drawn here, no files)
 *   POST   /order              {pizzaType, quantity, customerName, address,
 *                               creditCardNumber?} -> 201 + Location, the order
 *   GET    /order/{orderId}    the order
 *   PUT    /order/{orderId}    replace its fields -> the order
 *   DELETE /order/{orderId}    cancel it -> the removed order
 *   GET    /delivery           every order's delivery state
 *   GET    /delivery/{orderId} one order's delivery state
 *
 * Orders live in memory (at most AM_SAMPLE_PIZZASHACK_MAX_ORDERS, oldest
 * dropped first) and are lost on restart.  A card number is never echoed:
 * only its last four digits are kept.  Delivery progresses with the clock:
 * PREPARING for 10 minutes, then OUT_FOR_DELIVERY until 30 minutes, then
 * DELIVERED.  Bad input answers 400, unknown orders 404, other methods 405
 * with Allow, all with a JSON body {code, message, description} shaped like
 * WSO2's ErrorDTO.
 */
#define G_LOG_DOMAIN "am.sample"
#include "config.h"

#include "am-sample.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define PIZZA_MAX_BODY (64 * 1024)
#define PIZZA_MAX_QUANTITY 100
#define PIZZA_MAX_TEXT 256
#define PIZZA_PREPARING_SECS (10 * 60)
#define PIZZA_DELIVERY_SECS (30 * 60)

static const struct {
	const char *name;
	const char *description;
	const char *price;
	const char *colour;
} pizza_menu[] = {
	{ "Harbour Margherita", "San Marzano tomatoes, fior di latte and basil on a thin, blistered crust.",
	  "11.50", "#d94f30" },
	{ "Smoky Mountain", "Smoked provolone, roasted mushrooms, caramelised onion and thyme.",
	  "14.00", "#7a5230" },
	{ "Garden Patch", "Courgette ribbons, spinach, cherry tomatoes, feta and a lemon drizzle.",
	  "13.25", "#4f9d3a" },
	{ "Firecracker", "Spicy salami, pickled jalapeños, hot honey and mozzarella.",
	  "15.75", "#c0392b" },
	{ "Four Cheese Cloud", "Mozzarella, gorgonzola, parmesan and ricotta with cracked pepper.",
	  "14.50", "#e0b84a" },
	{ "Island Breeze", "Roast ham, grilled pineapple, red onion and a touch of chilli.",
	  "13.75", "#e67e22" },
};

typedef struct {
	char *id;
	char *pizza_type;
	gint64 quantity;
	char *customer_name;
	char *address;
	char *card_last4; /* NULL: none given */
	gint64 created;	  /* unix seconds */
	gboolean delivered_flag; /* set by PUT {"delivered": true} */
} PizzaOrder;

struct _AmPizzaShack {
	GHashTable *orders; /* id -> PizzaOrder (owned) */
	GQueue fifo;	    /* ids, oldest first (borrowed from the orders) */
	gint64 (*now) (void);
};

static gint64
pizza_real_now (void)
{
	return g_get_real_time () / G_USEC_PER_SEC;
}

static void
pizza_order_free (PizzaOrder *o)
{
	g_free (o->id);
	g_free (o->pizza_type);
	g_free (o->customer_name);
	g_free (o->address);
	g_free (o->card_last4);
	g_free (o);
}

AmPizzaShack *
am_pizzashack_new (void)
{
	AmPizzaShack *self = g_new0 (AmPizzaShack, 1);

	self->orders = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
					      (GDestroyNotify) pizza_order_free);
	g_queue_init (&self->fifo);
	self->now = pizza_real_now;
	return self;
}

void
am_pizzashack_free (AmPizzaShack *shack)
{
	if (shack == NULL)
		return;
	g_queue_clear (&shack->fifo);
	g_hash_table_unref (shack->orders);
	g_free (shack);
}

void
am_pizzashack_set_clock (AmPizzaShack *shack, gint64 (*now) (void))
{
	shack->now = now != NULL ? now : pizza_real_now;
}

/* ---- responses ---- */

static void
pizza_json (SoupServerMessage *msg, guint status, JsonNode *node)
{
	g_autoptr (JsonGenerator) gen = json_generator_new ();
	gsize len = 0;
	char *body;

	json_generator_set_root (gen, node);
	body = json_generator_to_data (gen, &len);
	soup_server_message_set_status (msg, status, NULL);
	soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, body, len);
}

static void
pizza_error (SoupServerMessage *msg, guint status, const char *description)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();
	g_autoptr (JsonNode) root = NULL;

	json_builder_begin_object (b);
	json_builder_set_member_name (b, "code");
	json_builder_add_int_value (b, status);
	json_builder_set_member_name (b, "message");
	json_builder_add_string_value (b, soup_status_get_phrase (status));
	json_builder_set_member_name (b, "description");
	json_builder_add_string_value (b, description);
	json_builder_end_object (b);
	root = json_builder_get_root (b);
	pizza_json (msg, status, root);
}

static void
pizza_not_allowed (SoupServerMessage *msg, const char *allow)
{
	g_autofree char *desc = g_strdup_printf ("Method %s is not allowed here; use %s",
						 soup_server_message_get_method (msg), allow);

	soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
				      allow);
	pizza_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, desc);
}

static gboolean
pizza_method_is (SoupServerMessage *msg, const char *method)
{
	const char *m = soup_server_message_get_method (msg);

	return strcmp (m, method) == 0 || (strcmp (method, "GET") == 0 && strcmp (m, "HEAD") == 0);
}

/* ---- the menu ---- */

static void
pizza_menu_get (SoupServerMessage *msg)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();
	g_autoptr (JsonNode) root = NULL;

	json_builder_begin_array (b);
	for (gsize i = 0; i < G_N_ELEMENTS (pizza_menu); i++) {
		g_autofree char *icon =
			g_strdup_printf ("%s/images/%zu.svg", AM_SAMPLE_PIZZASHACK_PATH, i + 1);

		json_builder_begin_object (b);
		json_builder_set_member_name (b, "name");
		json_builder_add_string_value (b, pizza_menu[i].name);
		json_builder_set_member_name (b, "description");
		json_builder_add_string_value (b, pizza_menu[i].description);
		/* a string, as the sample's MenuItem.price */
		json_builder_set_member_name (b, "price");
		json_builder_add_string_value (b, pizza_menu[i].price);
		json_builder_set_member_name (b, "icon");
		json_builder_add_string_value (b, icon);
		json_builder_end_object (b);
	}
	json_builder_end_array (b);
	root = json_builder_get_root (b);
	pizza_json (msg, SOUP_STATUS_OK, root);
}

static void
pizza_icon_get (SoupServerMessage *msg, const char *name)
{
	guint64 n = 0;
	gsize len;
	g_autofree char *svg = NULL;
	const char *end = NULL;

	if (!g_ascii_isdigit (name[0]) || (n = g_ascii_strtoull (name, (char **) &end, 10)) < 1 ||
	    n > G_N_ELEMENTS (pizza_menu) || strcmp (end, ".svg") != 0) {
		pizza_error (msg, SOUP_STATUS_NOT_FOUND, "No such image");
		return;
	}
	svg = g_strdup_printf (
		"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\" role=\"img\">"
		"<title>%s</title><circle cx=\"32\" cy=\"32\" r=\"30\" fill=\"#f3d9a4\"/>"
		"<circle cx=\"32\" cy=\"32\" r=\"24\" fill=\"%s\"/>"
		"<circle cx=\"24\" cy=\"26\" r=\"4\" fill=\"#fff8e7\"/>"
		"<circle cx=\"40\" cy=\"30\" r=\"4\" fill=\"#fff8e7\"/>"
		"<circle cx=\"30\" cy=\"41\" r=\"4\" fill=\"#fff8e7\"/></svg>\n",
		pizza_menu[n - 1].name, pizza_menu[n - 1].colour);
	len = strlen (svg);
	soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response (msg, "image/svg+xml", SOUP_MEMORY_TAKE,
					  g_steal_pointer (&svg), len);
}

static gboolean
pizza_on_menu (const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS (pizza_menu); i++)
		if (strcmp (pizza_menu[i].name, name) == 0)
			return TRUE;
	return FALSE;
}

/* ---- orders ---- */

static const char *
pizza_delivery_status (AmPizzaShack *self, const PizzaOrder *o)
{
	gint64 age = self->now () - o->created;

	if (o->delivered_flag || age >= PIZZA_DELIVERY_SECS)
		return "DELIVERED";
	return age >= PIZZA_PREPARING_SECS ? "OUT_FOR_DELIVERY" : "PREPARING";
}

static JsonNode *
pizza_order_json (AmPizzaShack *self, const PizzaOrder *o)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();

	json_builder_begin_object (b);
	json_builder_set_member_name (b, "orderId");
	json_builder_add_string_value (b, o->id);
	json_builder_set_member_name (b, "pizzaType");
	json_builder_add_string_value (b, o->pizza_type);
	json_builder_set_member_name (b, "quantity");
	json_builder_add_int_value (b, o->quantity);
	json_builder_set_member_name (b, "customerName");
	json_builder_add_string_value (b, o->customer_name);
	json_builder_set_member_name (b, "address");
	json_builder_add_string_value (b, o->address);
	json_builder_set_member_name (b, "creditCardNumber");
	if (o->card_last4 != NULL) {
		g_autofree char *masked = g_strconcat ("************", o->card_last4, NULL);
		json_builder_add_string_value (b, masked);
	} else {
		json_builder_add_null_value (b);
	}
	json_builder_set_member_name (b, "delivered");
	json_builder_add_boolean_value (b, strcmp (pizza_delivery_status (self, o), "DELIVERED") == 0);
	json_builder_end_object (b);
	return json_builder_get_root (b);
}

static JsonNode *
pizza_delivery_json (AmPizzaShack *self, const PizzaOrder *o)
{
	g_autoptr (JsonBuilder) b = json_builder_new ();
	g_autoptr (GDateTime) eta = g_date_time_new_from_unix_utc (o->created + PIZZA_DELIVERY_SECS);
	g_autofree char *eta_text = g_date_time_format_iso8601 (eta);

	json_builder_begin_object (b);
	json_builder_set_member_name (b, "orderId");
	json_builder_add_string_value (b, o->id);
	json_builder_set_member_name (b, "customerName");
	json_builder_add_string_value (b, o->customer_name);
	json_builder_set_member_name (b, "address");
	json_builder_add_string_value (b, o->address);
	json_builder_set_member_name (b, "status");
	json_builder_add_string_value (b, pizza_delivery_status (self, o));
	json_builder_set_member_name (b, "estimatedDelivery");
	json_builder_add_string_value (b, eta_text);
	json_builder_end_object (b);
	return json_builder_get_root (b);
}

/* The request body as a JSON object, or NULL after answering 400/413/415. */
static JsonObject *
pizza_body_object (SoupServerMessage *msg, JsonParser *parser)
{
	SoupMessageBody *body = soup_server_message_get_request_body (msg);
	const char *ctype = soup_message_headers_get_content_type (
		soup_server_message_get_request_headers (msg), NULL);
	g_autoptr (GBytes) bytes = NULL;
	g_autoptr (GError) error = NULL;
	JsonNode *root;

	if (body->length == 0) {
		pizza_error (msg, SOUP_STATUS_BAD_REQUEST, "Request payload cannot be empty.");
		return NULL;
	}
	if (body->length > PIZZA_MAX_BODY) {
		pizza_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "Request payload is too large.");
		return NULL;
	}
	if (ctype != NULL && g_ascii_strcasecmp (ctype, "application/json") != 0) {
		pizza_error (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
			     "Send the order as application/json.");
		return NULL;
	}
	bytes = soup_message_body_flatten (body);
	if (!json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
					 g_bytes_get_size (bytes), &error)) {
		pizza_error (msg, SOUP_STATUS_BAD_REQUEST, "Malformed request body.");
		return NULL;
	}
	root = json_parser_get_root (parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
		pizza_error (msg, SOUP_STATUS_BAD_REQUEST, "The order must be a JSON object.");
		return NULL;
	}
	return json_node_get_object (root);
}

/* A required non-empty string member of at most PIZZA_MAX_TEXT bytes. */
static const char *
pizza_text (JsonObject *obj, const char *name, GString *problems)
{
	JsonNode *n = json_object_get_member (obj, name);
	const char *s;

	if (n == NULL || JSON_NODE_TYPE (n) != JSON_NODE_VALUE ||
	    json_node_get_value_type (n) != G_TYPE_STRING) {
		g_string_append_printf (problems, "%s%s: a string is required", problems->len ? "; " : "",
					name);
		return NULL;
	}
	s = json_node_get_string (n);
	if (*s == '\0' || strlen (s) > PIZZA_MAX_TEXT || !g_utf8_validate (s, -1, NULL)) {
		g_string_append_printf (problems, "%s%s: must be 1 to %d characters",
					problems->len ? "; " : "", name, PIZZA_MAX_TEXT);
		return NULL;
	}
	return s;
}

/* Fill @o from @obj (every field required but creditCardNumber and
 * delivered); FALSE after answering 400. */
static gboolean
pizza_order_from_json (SoupServerMessage *msg, JsonObject *obj, PizzaOrder *o)
{
	g_autoptr (GString) problems = g_string_new (NULL);
	const char *type = pizza_text (obj, "pizzaType", problems);
	const char *name = pizza_text (obj, "customerName", problems);
	const char *address = pizza_text (obj, "address", problems);
	JsonNode *qty = json_object_get_member (obj, "quantity");
	JsonNode *card = json_object_get_member (obj, "creditCardNumber");
	JsonNode *delivered = json_object_get_member (obj, "delivered");
	g_autofree char *digits = NULL;
	gint64 quantity = 0;

	if (type != NULL && !pizza_on_menu (type))
		g_string_append_printf (problems, "%spizzaType: '%s' is not on the menu",
					problems->len ? "; " : "", type);
	if (qty == NULL || JSON_NODE_TYPE (qty) != JSON_NODE_VALUE ||
	    json_node_get_value_type (qty) != G_TYPE_INT64 ||
	    (quantity = json_node_get_int (qty)) < 1 || quantity > PIZZA_MAX_QUANTITY)
		g_string_append_printf (problems, "%squantity: an integer from 1 to %d is required",
					problems->len ? "; " : "", PIZZA_MAX_QUANTITY);
	if (card != NULL && !JSON_NODE_HOLDS_NULL (card)) {
		const char *s = JSON_NODE_TYPE (card) == JSON_NODE_VALUE &&
						json_node_get_value_type (card) == G_TYPE_STRING
					? json_node_get_string (card)
					: NULL;
		gsize ndigits = 0;

		if (s != NULL && strspn (s, "0123456789 -") == strlen (s)) {
			GString *d = g_string_new (NULL);

			for (const char *p = s; *p; p++)
				if (g_ascii_isdigit (*p))
					g_string_append_c (d, *p);
			ndigits = d->len;
			digits = g_string_free (d, FALSE);
		}
		if (digits == NULL || ndigits < 12 || ndigits > 19) {
			g_clear_pointer (&digits, g_free);
			g_string_append_printf (problems,
						"%screditCardNumber: 12 to 19 digits (spaces and "
						"dashes allowed)",
						problems->len ? "; " : "");
		}
	}
	if (delivered != NULL && (JSON_NODE_TYPE (delivered) != JSON_NODE_VALUE ||
				  json_node_get_value_type (delivered) != G_TYPE_BOOLEAN))
		g_string_append_printf (problems, "%sdelivered: must be true or false",
					problems->len ? "; " : "");
	if (problems->len > 0) {
		pizza_error (msg, SOUP_STATUS_BAD_REQUEST, problems->str);
		return FALSE;
	}
	g_free (o->pizza_type);
	o->pizza_type = g_strdup (type);
	g_free (o->customer_name);
	o->customer_name = g_strdup (name);
	g_free (o->address);
	o->address = g_strdup (address);
	o->quantity = quantity;
	if (digits != NULL) {
		g_free (o->card_last4);
		o->card_last4 = g_strdup (digits + strlen (digits) - 4);
	}
	if (delivered != NULL)
		o->delivered_flag = json_node_get_boolean (delivered);
	return TRUE;
}

static void
pizza_order_post (AmPizzaShack *self, SoupServerMessage *msg)
{
	g_autoptr (JsonParser) parser = json_parser_new ();
	JsonObject *obj = pizza_body_object (msg, parser);
	PizzaOrder *o;
	g_autoptr (JsonNode) node = NULL;
	g_autofree char *location = NULL;

	if (obj == NULL)
		return;
	o = g_new0 (PizzaOrder, 1);
	if (!pizza_order_from_json (msg, obj, o)) {
		pizza_order_free (o);
		return;
	}
	o->id = g_uuid_string_random ();
	o->created = self->now ();
	while (g_hash_table_size (self->orders) >= AM_SAMPLE_PIZZASHACK_MAX_ORDERS) {
		const char *oldest = g_queue_pop_head (&self->fifo);
		g_hash_table_remove (self->orders, oldest);
	}
	g_hash_table_insert (self->orders, o->id, o);
	g_queue_push_tail (&self->fifo, o->id);
	location = g_strdup_printf ("%s/order/%s", AM_SAMPLE_PIZZASHACK_PATH, o->id);
	soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Location",
				      location);
	node = pizza_order_json (self, o);
	pizza_json (msg, SOUP_STATUS_CREATED, node);
}

static PizzaOrder *
pizza_find (AmPizzaShack *self, SoupServerMessage *msg, const char *id)
{
	PizzaOrder *o = g_hash_table_lookup (self->orders, id);

	if (o == NULL) {
		g_autofree char *desc = NULL;
		/* the id is echoed only when it looks like one of ours */
		if (strlen (id) <= 64 && strspn (id, "0123456789abcdef-") == strlen (id))
			desc = g_strdup_printf ("Requested order with Id '%s' not found", id);
		pizza_error (msg, SOUP_STATUS_NOT_FOUND, desc ? desc : "Requested order not found");
	}
	return o;
}

static void
pizza_order_item (AmPizzaShack *self, SoupServerMessage *msg, const char *id)
{
	PizzaOrder *o;
	g_autoptr (JsonNode) node = NULL;

	if (!pizza_method_is (msg, "GET") && !pizza_method_is (msg, "PUT") &&
	    !pizza_method_is (msg, "DELETE")) {
		pizza_not_allowed (msg, "GET, PUT, DELETE");
		return;
	}
	if ((o = pizza_find (self, msg, id)) == NULL)
		return;
	if (pizza_method_is (msg, "PUT")) {
		g_autoptr (JsonParser) parser = json_parser_new ();
		JsonObject *obj = pizza_body_object (msg, parser);
		JsonNode *body_id;

		if (obj == NULL)
			return;
		body_id = json_object_get_member (obj, "orderId");
		if (body_id != NULL && !JSON_NODE_HOLDS_NULL (body_id) &&
		    (json_node_get_value_type (body_id) != G_TYPE_STRING ||
		     strcmp (json_node_get_string (body_id), id) != 0)) {
			pizza_error (msg, SOUP_STATUS_BAD_REQUEST,
				     "orderId in the body differs from the one in the path");
			return;
		}
		if (!pizza_order_from_json (msg, obj, o))
			return;
	}
	node = pizza_order_json (self, o);
	if (pizza_method_is (msg, "DELETE")) {
		g_queue_remove (&self->fifo, o->id);
		g_hash_table_remove (self->orders, id);
	}
	pizza_json (msg, SOUP_STATUS_OK, node);
}

static void
pizza_delivery (AmPizzaShack *self, SoupServerMessage *msg, const char *id)
{
	g_autoptr (JsonNode) node = NULL;

	if (!pizza_method_is (msg, "GET")) {
		pizza_not_allowed (msg, "GET");
		return;
	}
	if (id == NULL) {
		g_autoptr (JsonArray) list = json_array_new ();

		for (GList *l = self->fifo.head; l != NULL; l = l->next)
			json_array_add_element (
				list, pizza_delivery_json (self, g_hash_table_lookup (self->orders,
										      l->data)));
		node = json_node_init_array (json_node_alloc (), list);
	} else {
		PizzaOrder *o = pizza_find (self, msg, id);

		if (o == NULL)
			return;
		node = pizza_delivery_json (self, o);
	}
	pizza_json (msg, SOUP_STATUS_OK, node);
}

void
am_pizzashack_handle (SoupServer *soup, SoupServerMessage *msg, const char *path,
		      GHashTable *query, gpointer user_data)
{
	AmPizzaShack *self = user_data;
	const char *rest = path + strlen (AM_SAMPLE_PIZZASHACK_PATH);
	g_auto (GStrv) parts = NULL;
	guint n;

	if (!g_str_has_prefix (path, AM_SAMPLE_PIZZASHACK_PATH) || (*rest != '/' && *rest != '\0')) {
		pizza_error (msg, SOUP_STATUS_NOT_FOUND, "No such resource");
		return;
	}
	/* "/order/" is "/order", as JAX-RS matches it */
	parts = g_strsplit (*rest == '/' ? rest + 1 : rest, "/", -1);
	n = g_strv_length (parts);
	if (n > 0 && *parts[n - 1] == '\0')
		g_clear_pointer (&parts[--n], g_free);

	if (n == 1 && strcmp (parts[0], "menu") == 0) {
		if (!pizza_method_is (msg, "GET"))
			pizza_not_allowed (msg, "GET");
		else
			pizza_menu_get (msg);
	} else if (n == 2 && strcmp (parts[0], "images") == 0) {
		if (!pizza_method_is (msg, "GET"))
			pizza_not_allowed (msg, "GET");
		else
			pizza_icon_get (msg, parts[1]);
	} else if (n == 1 && strcmp (parts[0], "order") == 0) {
		if (!pizza_method_is (msg, "POST"))
			pizza_not_allowed (msg, "POST");
		else
			pizza_order_post (self, msg);
	} else if (n == 2 && strcmp (parts[0], "order") == 0) {
		pizza_order_item (self, msg, parts[1]);
	} else if ((n == 1 || n == 2) && strcmp (parts[0], "delivery") == 0) {
		pizza_delivery (self, msg, n == 2 ? parts[1] : NULL);
	} else {
		pizza_error (msg, SOUP_STATUS_NOT_FOUND, "No such resource");
	}
}
