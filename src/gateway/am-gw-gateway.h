/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway module's shared state (private to am-gw-module.c and
 * am-gw-pipeline.c): what the module opens at start, and the per-worker
 * state the request pipeline keeps without locks (round-robin positions,
 * endpoint suspension, resource auth schemes, counters, access log
 * buffer).  One AmGwWorker per engine thread, found through a GPrivate.
 */
#pragma once

#include "am-gw-authsvc.h"
#include "am-gw-cache.h"
#include "am-gw-deploy.h"
#include "am-gw-keyclient.h"
#include "am-http.h"
#include "am-server.h"

typedef struct _AmGateway AmGateway;

/* Per-API counters of one worker (summed over workers on read). */
typedef struct {
	guint64 requests[6];	    /* by status class: 0 (none), 1xx .. 5xx */
	guint64 response_bytes;
	guint64 total_us;	    /* sum of total latencies */
	guint64 upstream_us;	    /* sum of upstream latencies (proxied requests) */
	guint64 proxied;
	guint64 upstream_errors;    /* an endpoint failed (before any fail over) */
	guint64 auth_failures;	    /* 401/403/500 from authentication */
} AmGwCounters;

typedef struct {
	AmGateway *gw;
	guint index;
	guint64 next_id;
	GMutex lock;		/* counters only: the /metrics reader takes it too */
	GHashTable *counters;	/* API qualified name ("-": none) -> AmGwCounters */
	GHashTable *rr;		/* load-balance group key -> next index (GUINT_TO_POINTER) */
	GHashTable *schemes;	/* the API's qualified name -> AmGwSchemes */
	GString *log;		/* access log lines not yet written */
	GSource *flush;
	gint64 km_warned_at;	/* monotonic: last "Key Manager unavailable" warning */
	guint km_failures;	/* failures not warned about since */
	gint64 log_second;	/* the second log_time was formatted for */
	char log_time[40];	/* "02/Dec/2026:18:00:00 +0000" */
	struct _GwSnapHold *hold; /* this worker's reference to the deployed snapshot */
	gint hold_generation;	/* am_gw_deployment_generation () when it was taken */
} AmGwWorker;

struct _AmGateway {
	AmServer *server;
	AmKm *local_km;			/* the Key Manager of this process, if any */
	AmConf *conf;			/* a reference */
	const AmApimConf *apim;
	const AmPorts *ports;
	int env_type;			/* AmEnvironmentType of this gateway */
	char *env_name;			/* the matching Environment's Name, or NULL */
	guint resource_cache_s;		/* lifetime of cached resource auth schemes */
	char *auth_header;		/* OAuthConfigurations/AuthorizationHeader or Authorization */
	char *km_hostname;		/* keyManager.hostname / .port of SynapsePropertiesHandler: */
	char *km_port;			/* host and port of APIKeyValidator/ServerURL */
	char *cors_origins;		/* CORSConfiguration lists, comma-joined (NULL: CORS off) */
	char *cors_methods;
	char *cors_headers;
	char id_prefix[17];		/* request ids: prefix-worker-counter */

	AmGwDeployment *deployment;
	AmGwCache *cache;
	AmGwKeyClient *keyclient;
	AmGwAuthSvc *authsvc;
	AmHttpEngine *engine;

	/* Endpoint health is the node's, as in synapse (one EndpointContext
	 * per endpoint for every worker): leaf endpoint key -> GwEpState
	 * under ep_lock; ep_troubled counts the entries that are failing or
	 * suspended, so that healthy traffic never takes the lock. */
	GMutex ep_lock;
	GHashTable *endpoints;
	gint ep_troubled;

	/* ThrottleHandler hard limits (maxTps), the node's: "api\nKEYTYPE" ->
	 * the current one-second window, under hard_lock. */
	GMutex hard_lock;
	GHashTable *hard_windows;

	int access_fd;			/* repository/logs/http_gw_access.log, -1 if none */
	GMutex workers_lock;
	GPtrArray *workers;		/* AmGwWorker*, one per engine thread seen */
};

/* am-gw-pipeline.c: the engine callbacks (data = the AmGateway). */
void am_gw_pipeline_handle (AmHttpRequest *req, gpointer data);
/* The access token of an Authorization value as WSO2's OAuthAuthenticator
 * reads it (wso2-interfaces.md §8.1), or NULL. */
char *am_gw_bearer_token (const char *value);
void am_gw_pipeline_done (AmHttpRequest *req, const AmHttpStats *stats, gpointer data);
void am_gw_pipeline_upstream_error (AmHttpRequest *req, AmHttpFailure failure, gpointer data);
/* Free a worker's state (after the engine stopped; writes what is left of
 * its access log). */
void am_gw_worker_free (gpointer worker);
/* The Prometheus text of every worker's counters, summed. */
char *am_gw_metrics_text (AmGateway *gw);
