#define PF_MHD_API_IMPL
#include "api/mhd_api.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Filled once (pthread_once) and never changed again. */
static pf_mhd_api api;
static pthread_once_t once = PTHREAD_ONCE_INIT;

#define SONAME "libmicrohttpd.so.12"

static void load(void) {
    void *h = dlopen(SONAME, RTLD_NOW | RTLD_LOCAL);
    const char *missing = NULL;
    if (h) {
        /* memcpy: ISO C has no cast from dlsym's object pointer to a function pointer. */
#define PF_MHD_RESOLVE(f)                                                                                              \
    do {                                                                                                               \
        void *sym = dlsym(h, #f);                                                                                      \
        if (!sym && !missing) missing = #f;                                                                            \
        memcpy(&api.f, &sym, sizeof sym);                                                                              \
    } while (0);
        PF_MHD_FUNCTIONS(PF_MHD_RESOLVE)
#undef PF_MHD_RESOLVE
    }
    if (h && !missing) return;
    if (h)
        fprintf(stderr, "prodflow: %s has no %s: it is older than libmicrohttpd 0.9.71\n", SONAME, missing);
    else
        fprintf(stderr, "prodflow: cannot load %s (the HTTP server needs it): %s\n", SONAME, dlerror());
    abort();
}

const pf_mhd_api *pf_mhd(void) {
    pthread_once(&once, load);
    return &api;
}
