/* The HTTP server: libmicrohttpd with a thread pool, bound to one address. */
#ifndef PF_API_SERVER_H
#define PF_API_SERVER_H

#include "api/app.h"

#include <stdint.h>

typedef struct pf_server pf_server;

typedef struct pf_server_opts {
    const char *bind;                 /* "127.0.0.1" by default */
    uint16_t port;                    /* 0 picks a free port */
    unsigned threads;                 /* thread pool size; 0 means the number of cores */
    const char *public_url;           /* the address browsers use (api/guard.h); NULL: the bind address */
    const char *const *allow_origins; /* more origins a browser may call from; may be NULL */
    unsigned max_connections;         /* 0 means 1024 */
    unsigned max_per_client;          /* connections from one address; 0 means 128 */
    unsigned client_timeout_s;        /* a connection idle this long is closed; 0 means 15 */
} pf_server_opts;

/* Starts serving app (borrowed; it must outlive the server). */
pf_error *pf_server_start(const pf_server_opts *opts, const pf_app *app, pf_server **out);
uint16_t pf_server_port(const pf_server *srv);
/* What browsers use to reach the server: the public URL's origin, else
 * http://BIND:PORT. */
const char *pf_server_origin(const pf_server *srv);
void pf_server_stop(pf_server *srv);

#endif
