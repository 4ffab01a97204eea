#define PF_CURL_API_IMPL
#include "core/curl_api.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Filled once (pthread_once) and never changed again. */
static pf_curl_api api;
static pthread_once_t once = PTHREAD_ONCE_INIT;

#define SONAME "libcurl.so.4"

static void load(void) {
    void *h = dlopen(SONAME, RTLD_NOW | RTLD_LOCAL);
    const char *missing = NULL;
    if (h) {
        /* memcpy: ISO C has no cast from dlsym's object pointer to a function pointer. */
#define PF_CURL_RESOLVE(f)                                                                                             \
    do {                                                                                                               \
        void *sym = dlsym(h, #f);                                                                                      \
        if (!sym && !missing) missing = #f;                                                                            \
        memcpy(&api.f, &sym, sizeof sym);                                                                              \
    } while (0);
        PF_CURL_FUNCTIONS(PF_CURL_RESOLVE)
#undef PF_CURL_RESOLVE
    }
    if (h && !missing) return;
    if (h)
        fprintf(stderr, "prodflow: %s has no %s: it is older than libcurl 7.80\n", SONAME, missing);
    else
        fprintf(stderr, "prodflow: cannot load %s (webhooks and artifact transfers need it): %s\n", SONAME, dlerror());
    abort();
}

const pf_curl_api *pf_curl(void) {
    pthread_once(&once, load);
    return &api;
}
