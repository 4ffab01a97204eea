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
    static const pf_dl_symbol symbols[] = {PF_MHD_FUNCTIONS(PF_DL_SYMBOL)};
    char why[256];
    if (pf_dl_table(SONAME, "libmicrohttpd 0.9.71", symbols, sizeof symbols / sizeof *symbols, why, sizeof why)) return;
    fprintf(stderr, "prodflow: %s (the HTTP server needs it)\n", why);
    abort();
}

const pf_mhd_api *pf_mhd(void) {
    pthread_once(&once, load);
    return &api;
}
