/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every port the server opens or advertises, computed in one place.
 *
 * Carbon adds the port offset (carbon.xml Ports/Offset, or -DportOffset on
 * the command line) to each legacy default: the management connectors of
 * catalina-server.xml (9763/9443), the pass-through transports of axis2.xml
 * (8280/8243) and the traffic manager's 9611/9711/5672.  The
 * key validation Thrift port follows the API-M 2.x rule: 10397 + offset
 * unless APIKeyValidator/ThriftServerPort (or ThriftClientPort) is set, in
 * which case the literal value is used.
 */
#define G_LOG_DOMAIN "am.conf"
#include "config.h"

#include "am-core-conf.h"

static const AmConnectorConf *
ports_connector (const AmCoreConf *core, gboolean ssl)
{
	for (guint i = 0; core->connectors != NULL && i < core->connectors->len; i++) {
		const AmConnectorConf *c = core->connectors->pdata[i];
		gboolean is_ssl = c->ssl || g_strcmp0 (c->scheme, "https") == 0;
		if (is_ssl == ssl && c->port > 0)
			return c;
	}
	return NULL;
}

static int
ports_transport (const AmCoreConf *core, const char *name, int def)
{
	for (guint i = 0; core->transports != NULL && i < core->transports->len; i++) {
		const AmTransportConf *t = core->transports->pdata[i];
		if (g_strcmp0 (t->name, name) == 0 && t->port > 0)
			return t->port;
	}
	return def;
}

static int
ports_add (int base, int offset, const char *what, GPtrArray *errors)
{
	if (base + offset > 65535) {
		g_ptr_array_add (errors, g_strdup_printf ("port offset %d moves %s (%d) past 65535",
							  offset, what, base));
		return base;
	}
	return base + offset;
}

gboolean
am_ports_compute (const AmCoreConf *core, GHashTable *sysprops, AmPorts *p, GPtrArray *errors)
{
	const AmConnectorConf *http = ports_connector (core, FALSE);
	const AmConnectorConf *https = ports_connector (core, TRUE);
	const char *offset = sysprops != NULL ? g_hash_table_lookup (sysprops, "portOffset") : NULL;
	guint before = errors->len;
	gint64 v = core->port_offset;

	if (offset != NULL &&
	    !g_ascii_string_to_signed (offset, 10, 0, 10000, &v, NULL)) {
		g_ptr_array_add (errors, g_strdup_printf ("-DportOffset=%s: not a number in "
							  "[0, 10000]", offset));
		v = 0;
	}
	p->offset = (int) v;
	p->mgt_http = ports_add (http != NULL ? http->port : 9763, p->offset, "the HTTP connector",
				 errors);
	p->mgt_https = ports_add (https != NULL ? https->port : 9443, p->offset,
				  "the HTTPS connector", errors);
	/* a proxyPort is what clients see through a load balancer; no offset */
	p->mgt_http_proxy = (http != NULL && http->proxy_port > 0) ? http->proxy_port : p->mgt_http;
	p->mgt_https_proxy = (https != NULL && https->proxy_port > 0) ? https->proxy_port
								       : p->mgt_https;
	p->nio_http = ports_add (ports_transport (core, "http", 8280), p->offset,
				 "the http transport", errors);
	p->nio_https = ports_add (ports_transport (core, "https", 8243), p->offset,
				  "the https transport", errors);
	p->thrift_server = core->thrift_server_port > 0
				   ? core->thrift_server_port
				   : ports_add (10397, p->offset, "the Thrift port", errors);
	p->thrift_client = core->thrift_client_port > 0
				   ? core->thrift_client_port
				   : ports_add (10397, p->offset, "the Thrift port", errors);
	p->tm_receiver = ports_add (9611, p->offset, "the traffic manager receiver", errors);
	p->tm_auth = ports_add (9711, p->offset, "the traffic manager auth port", errors);
	p->jms = ports_add (5672, p->offset, "the JMS port", errors);
	if (p->mgt_http == p->mgt_https)
		g_ptr_array_add (errors, g_strdup_printf ("repository/conf/tomcat/catalina-server.xml:"
							  " Service/Connector: the HTTP and HTTPS "
							  "connectors share port %d",
							  p->mgt_http));
	return errors->len == before;
}
