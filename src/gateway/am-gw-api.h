/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway's deployment model: one synapse REST API as the WSO2 API-M
 * 2.x Publisher writes it (repository/deployment/server/synapse-configs/
 * default/api/), with its resources, production/sandbox endpoints,
 * handlers and sequence references.  Immutable once parsed; shared by
 * reference between snapshots.
 */
#pragma once

#include <glib.h>

#define AM_GW_ERROR (am_gw_error_quark ())
GQuark am_gw_error_quark (void);

typedef enum {
	AM_GW_ERROR_INVALID, /* an artifact synapse would refuse */
} AmGwErrorCode;

typedef enum {
	AM_GW_VERSION_NONE,    /* no version attribute: default-version and shipped APIs */
	AM_GW_VERSION_CONTEXT, /* version-type="context": {version} inside the context */
	AM_GW_VERSION_URL,     /* version-type="url": /context/<version>/... */
} AmGwVersionType;

typedef enum {
	AM_GW_EP_HTTP,	      /* <http uri-template> */
	AM_GW_EP_ADDRESS,     /* <address uri> */
	AM_GW_EP_WSDL,	      /* <wsdl uri service port> */
	AM_GW_EP_DEFAULT,     /* <default/>: the request's own To address */
	AM_GW_EP_LOADBALANCE, /* <loadbalance algorithm>: children */
	AM_GW_EP_FAILOVER,    /* <failover>: children, first is primary */
	AM_GW_EP_KEY,	      /* <endpoint key="name"/>, resolved to ->target */
} AmGwEndpointType;

typedef enum {
	AM_GW_TIMEOUT_NEVER, /* no <timeout>: the global socket timeout applies */
	AM_GW_TIMEOUT_FAULT,
	AM_GW_TIMEOUT_DISCARD,
} AmGwTimeoutAction;

typedef enum {
	AM_GW_KEY_PRODUCTION,
	AM_GW_KEY_SANDBOX,
} AmGwKeyType;

/* Synapse's defaults (EndpointDefinition): suspend on any error for 30 s,
 * progression 1.0, no maximum; mark-for-suspension off (0 retries). */
#define AM_GW_SUSPEND_INITIAL_MS_DEFAULT 30000
#define AM_GW_SUSPEND_MAXIMUM_MS_DEFAULT G_MAXINT64

typedef struct _AmGwEndpoint AmGwEndpoint;
struct _AmGwEndpoint {
	AmGwEndpointType type;
	char *name;	    /* may be NULL (anonymous) */
	char *uri;	    /* http uri-template, address/wsdl uri */
	char *format;	    /* address format= */
	char *wsdl_service; /* wsdl service= */
	char *wsdl_port;    /* wsdl port= */
	gint64 timeout_ms;  /* 0 when no <timeout><duration> */
	AmGwTimeoutAction timeout_action;
	GArray *suspend_error_codes; /* int; empty = every error */
	gint64 suspend_initial_ms;
	gint64 suspend_maximum_ms;
	double suspend_progression;
	GArray *mark_error_codes; /* int */
	int mark_retries;
	gint64 mark_retry_delay_ms;
	char *algorithm;	/* loadbalance algorithm class */
	gboolean lb_failover;	/* loadbalance failover= (default true) */
	char *session_type;	/* <session type> */
	gint64 session_timeout_ms;
	GPtrArray *children;	/* AmGwEndpoint*, loadbalance/failover members */
	char *key;		/* AM_GW_EP_KEY: the referenced name */
	AmGwEndpoint *target;	/* AM_GW_EP_KEY: resolved endpoint (a ref), or NULL */
	int line;
	/* What the request pipeline derives from the endpoint once (set at
	 * most once, atomically; freed with compiled_free). */
	gpointer compiled;
	GDestroyNotify compiled_free;
};

/* What the in-sequence does for one key type (the $ctx:AM_KEY_TYPE filter). */
typedef struct {
	AmGwEndpoint *endpoint; /* send target, or NULL */
	char *sequence;		/* <sequence key>, e.g. _sandbox_key_error_, or NULL */
	int error_status;	/* payloadFactory error (key for the wrong gateway): HTTP_SC */
	char *error_message;	/* ... and its <message>, or NULL */
} AmGwRoute;

typedef struct {
	char **methods;	     /* NULL-terminated, upper case; NULL = every method */
	char *uri_template;  /* one of these two, or neither (the default resource) */
	char *url_mapping;
	char *in_sequence;   /* inSequence= / outSequence= / faultSequence= attributes */
	char *out_sequence;
	char *fault_sequence;
	AmGwRoute production;
	AmGwRoute sandbox;
	gpointer compiled; /* the router's compiled uri-template/url-mapping */
	int line;
} AmGwResource;

typedef struct {
	char *name;
	char *value;
} AmGwProperty;

typedef struct {
	char *class_name;
	gsize class_len;
	GArray *properties; /* AmGwProperty, in document order */
} AmGwHandler;

typedef struct _AmGwApi AmGwApi;
struct _AmGwApi {
	char *file;		/* display name used in messages */
	char *name;		/* name= ("admin--PizzaShackAPI") */
	char *context_template; /* context= as written ("/pizzashack/{version}") */
	char *context;		/* resolved: {version} substituted, trailing '/' trimmed */
	char *version;		/* NULL when none */
	AmGwVersionType version_type;
	char *transports;	   /* NULL/"" = both, "http", "https" */
	char *host;		   /* hostname=, NULL = any */
	int port;		   /* port=, -1 = any */
	char *tenant_domain;	   /* "wso2.com" for /t/wso2.com/..., NULL for super tenant */
	gboolean default_version;  /* WSO2's default-version API (default_api_template.xml) */
	char *default_target;	   /* its forwarded context ("/pizzashack/1.0.0") */
	GPtrArray *resources;	   /* AmGwResource*, document order */
	GPtrArray *handlers;	   /* AmGwHandler*, order of the first <handlers> */
	GPtrArray *endpoint_keys;  /* char*: named endpoints referenced */
	GPtrArray *sequence_keys;  /* char*: sequences referenced */
	/* worked out once by the parser for the request path */
	char *qname;		   /* synapse's name: "name:vversion", or name with no version */
	gboolean over_http, over_https; /* transports allows that listener */
};

/* Named artifacts an API may refer to: endpoints/ (name -> AmGwEndpoint*)
 * and sequences/ (name -> anything).  Either table may be NULL: that kind of
 * reference is then not checked. */
typedef struct {
	GHashTable *endpoints;
	GHashTable *sequences;
} AmGwArtifacts;

/* Parse one API file's text.  NULL on failure with every problem appended
 * to @errors as `file:line: element: problem` (never stops at the first).
 * @artifacts resolves <endpoint key> and sequence references; a missing one
 * fails this API. */
AmGwApi *am_gw_api_parse (const char *xml, gsize len, const char *display_name,
			  const AmGwArtifacts *artifacts, GPtrArray *errors);
AmGwApi *am_gw_api_load (const char *path, const char *display_name,
			 const AmGwArtifacts *artifacts, GPtrArray *errors);
AmGwApi *am_gw_api_ref (AmGwApi *api);
void am_gw_api_unref (AmGwApi *api);

/* The first handler whose class ends with @class_suffix (".CORSRequestHandler"
 * or the full name), or NULL. */
const AmGwHandler *am_gw_api_handler (const AmGwApi *api, const char *class_suffix);
const char *am_gw_handler_property (const AmGwHandler *handler, const char *name);
const AmGwRoute *am_gw_resource_route (const AmGwResource *resource, AmGwKeyType key_type);
gboolean am_gw_resource_allows (const AmGwResource *resource, const char *method);

/* A standalone endpoint file (endpoints/<name>.xml: <endpoint name="...">). */
AmGwEndpoint *am_gw_endpoint_parse (const char *xml, gsize len, const char *display_name,
				    GPtrArray *errors);
AmGwEndpoint *am_gw_endpoint_ref (AmGwEndpoint *endpoint);
void am_gw_endpoint_unref (AmGwEndpoint *endpoint);
/* The endpoint a KEY reference stands for (itself for every other type). */
const AmGwEndpoint *am_gw_endpoint_resolve (const AmGwEndpoint *endpoint);

/* The name= (or key= for local entries) of a sequences/ or local-entries/
 * file whose root is @root ("sequence", "localEntry"); NULL on failure. */
char *am_gw_artifact_name (const char *xml, gsize len, const char *display_name,
			   const char *root, GPtrArray *errors);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmGwApi, am_gw_api_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmGwEndpoint, am_gw_endpoint_unref)
