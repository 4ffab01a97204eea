#include "core/dl_table.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

bool pf_dl_table(const char *soname, const pf_dl_symbol *symbols, size_t n, const char **missing, char *why,
                 size_t why_len) {
    *missing = NULL;
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(why, why_len, "%s", dlerror());
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        void *sym = dlsym(h, symbols[i].name);
        if (!sym) {
            *missing = symbols[i].name;
            snprintf(why, why_len, "%s has no %s", soname, symbols[i].name);
            return false;
        }
        /* memcpy: ISO C has no cast from dlsym's object pointer to a function pointer. */
        memcpy(symbols[i].field, &sym, sizeof sym);
    }
    return true;
}
