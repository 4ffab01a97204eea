#define PF_PG_API_IMPL
#include "store/pg_api.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* Filled once (pthread_once) and never changed again, as the CAD kernel's
 * table is (src/cad/cad_loader.c). */
static pf_pq_api api;
static char failure[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

#define SONAME "libpq.so.5"

static void load(void) {
    void *h = dlopen(SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(failure, sizeof failure, "cannot load %s, the PostgreSQL client library: %s", SONAME, dlerror());
        return;
    }
    pf_pq_api got;
    const char *missing = NULL;
    /* memcpy: ISO C has no cast from dlsym's object pointer to a function pointer. */
#define PF_PQ_RESOLVE(f)                                                                                               \
    do {                                                                                                               \
        void *sym = dlsym(h, #f);                                                                                      \
        if (!sym && !missing) missing = #f;                                                                            \
        memcpy(&got.f, &sym, sizeof sym);                                                                              \
    } while (0);
    PF_PQ_FUNCTIONS(PF_PQ_RESOLVE)
#undef PF_PQ_RESOLVE
    if (missing) {
        snprintf(failure, sizeof failure, "%s has no %s: it is older than PostgreSQL 14's", SONAME, missing);
        return;
    }
    api = got;
}

bool pf_pq_load(char *why, size_t why_len) {
    pthread_once(&once, load);
    if (!*failure) return true;
    snprintf(why, why_len, "%s", failure);
    return false;
}

const pf_pq_api *pf_pq(void) { return &api; }
