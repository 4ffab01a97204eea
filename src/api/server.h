/* The HTTP server: libmicrohttpd with a thread pool, bound to one address. */
#ifndef PF_API_SERVER_H
#define PF_API_SERVER_H

#include "api/app.h"

#include <stdint.h>

typedef struct pf_server pf_server;

typedef struct pf_server_opts {
    const char *bind; /* "127.0.0.1" by default */
    uint16_t port;    /* 0 picks a free port */
    unsigned threads; /* thread pool size; 0 means the number of cores */
} pf_server_opts;

/* Starts serving app (borrowed; it must outlive the server). */
pf_error *pf_server_start(const pf_server_opts *opts, const pf_app *app, pf_server **out);
uint16_t pf_server_port(const pf_server *srv);
void pf_server_stop(pf_server *srv);

#endif
