/* Requests by route and status, and their latency per route, as atomics:
 * one slot per route of the generated table, plus the editor's static
 * files and requests that matched nothing, so the label set is bounded
 * whatever paths clients send. Built at start-up, owned by the app. */
#ifndef PF_API_HTTP_METRICS_H
#define PF_API_HTTP_METRICS_H

#include <stdio.h>

#define PF_REQUEST_ID_MAX 65

struct pf_route;

/* What answered a request. */
typedef enum { PF_ROUTE_NONE, PF_ROUTE_API, PF_ROUTE_STATIC } pf_route_kind;

typedef struct pf_http_metrics pf_http_metrics;

pf_http_metrics *pf_http_metrics_new(void);
void pf_http_metrics_free(pf_http_metrics *m);
/* route: the matched route, or NULL with kind NONE (nothing matched, or
 * refused before routing) or STATIC. status 0: no answer was sent. */
void pf_http_metrics_record(pf_http_metrics *m, const struct pf_route *route, pf_route_kind kind, int status,
                            unsigned long long duration_us);
/* "GET /api/runs/{id}" style label: the route pattern, "static" or "unmatched". */
const char *pf_http_route_name(const struct pf_route *route, pf_route_kind kind);
/* prodflow_http_requests_total and prodflow_http_request_duration_seconds. */
void pf_http_metrics_write(const pf_http_metrics *m, FILE *out);

#endif
