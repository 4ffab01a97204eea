#define PF_MHD_API_IMPL
#include "api/mhd_api.h"

#include "core/dl_table.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* Filled once (pthread_once) and never changed again. */
static pf_mhd_api api;
static pthread_once_t once = PTHREAD_ONCE_INIT;

#define SONAME "libmicrohttpd.so.12"

static void load(void) {
#define PF_MHD_SYMBOL(f) {#f, &api.f},
    static const pf_dl_symbol symbols[] = {PF_MHD_FUNCTIONS(PF_MHD_SYMBOL)};
#undef PF_MHD_SYMBOL
    const char *missing;
    char why[256];
    if (pf_dl_table(SONAME, symbols, sizeof symbols / sizeof *symbols, &missing, why, sizeof why)) return;
    if (missing)
        fprintf(stderr, "prodflow: %s: it is older than libmicrohttpd 0.9.71\n", why);
    else
        fprintf(stderr, "prodflow: cannot load %s (the HTTP server needs it): %s\n", SONAME, why);
    abort();
}

const pf_mhd_api *pf_mhd(void) {
    pthread_once(&once, load);
    return &api;
}
