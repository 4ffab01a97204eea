#include "core/dl_table.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

bool pf_dl_table(const char *soname, const char *oldest, const pf_dl_symbol *symbols, size_t n, char *why,
                 size_t why_len) {
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(why, why_len, "cannot load %s: %s", soname, dlerror());
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        void *sym = dlsym(h, symbols[i].name);
        if (!sym) {
            snprintf(why, why_len, "%s has no %s: it is older than %s", soname, symbols[i].name, oldest);
            return false;
        }
        /* memcpy: ISO C has no cast from dlsym's object pointer to a function pointer. */
        memcpy(symbols[i].field, &sym, sizeof sym);
    }
    return true;
}
