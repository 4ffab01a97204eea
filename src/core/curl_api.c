#define PF_CURL_API_IMPL
#include "core/curl_api.h"

#include "core/dl_table.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* Filled once (pthread_once) and never changed again. */
static pf_curl_api api;
static pthread_once_t once = PTHREAD_ONCE_INIT;

#define SONAME "libcurl.so.4"

static void load(void) {
#define PF_CURL_SYMBOL(f) {#f, &api.f},
    static const pf_dl_symbol symbols[] = {PF_CURL_FUNCTIONS(PF_CURL_SYMBOL)};
#undef PF_CURL_SYMBOL
    const char *missing;
    char why[256];
    if (pf_dl_table(SONAME, symbols, sizeof symbols / sizeof *symbols, &missing, why, sizeof why)) return;
    if (missing)
        fprintf(stderr, "prodflow: %s: it is older than libcurl 7.80\n", why);
    else
        fprintf(stderr, "prodflow: cannot load %s (webhooks and artifact transfers need it): %s\n", SONAME, why);
    abort();
}

const pf_curl_api *pf_curl(void) {
    pthread_once(&once, load);
    return &api;
}
