#define PF_PG_API_IMPL
#include "store/pg_api.h"

#include "core/dl_table.h"

#include <pthread.h>
#include <stdio.h>

/* Filled once (pthread_once) and never changed again, as the CAD kernel's
 * table is (src/cad/cad_loader.c). A library that lacks a function leaves
 * the table unused: pf_pq_load says why, and nothing calls through it. */
static pf_pq_api api;
static char failure[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

#define SONAME "libpq.so.5"

static void load(void) {
    static const pf_dl_symbol symbols[] = {PF_PQ_FUNCTIONS(PF_DL_SYMBOL)};
    char why[200];
    if (!pf_dl_table(SONAME, "PostgreSQL 14's", symbols, sizeof symbols / sizeof *symbols, why, sizeof why))
        snprintf(failure, sizeof failure, "%s (the PostgreSQL client library)", why);
}

bool pf_pq_load(char *why, size_t why_len) {
    pthread_once(&once, load);
    if (!*failure) return true;
    snprintf(why, why_len, "%s", failure);
    return false;
}

const pf_pq_api *pf_pq(void) { return &api; }
