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
    static const pf_dl_symbol symbols[] = {PF_CURL_FUNCTIONS(PF_DL_SYMBOL)};
    char why[256];
    if (pf_dl_table(SONAME, "libcurl 7.80", symbols, sizeof symbols / sizeof *symbols, why, sizeof why)) return;
    fprintf(stderr, "prodflow: %s (webhooks and artifact transfers need it)\n", why);
    abort();
}

const pf_curl_api *pf_curl(void) {
    pthread_once(&once, load);
    return &api;
}
