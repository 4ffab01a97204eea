/* A table of a shared library's functions, filled on first use: the
 * libraries only some processes need (libcurl, libmicrohttpd, libpq) are
 * opened by those processes alone, which keeps every other one's start-up
 * short (issue #18). Each user lists its functions once (an X-macro) and
 * keeps its table in a pthread_once, as src/core/curl_api.c does. */
#ifndef PF_CORE_DL_TABLE_H
#define PF_CORE_DL_TABLE_H

#include <stdbool.h>
#include <stddef.h>

/* One function the table wants: its name, and the table's field its
 * address goes to (a pointer to a function pointer). */
typedef struct {
    const char *name;
    void *field;
} pf_dl_symbol;

/* Opens soname (never closed: the table lives as long as the process)
 * and fills each symbol's field. False when the library cannot be opened
 * (*missing NULL; why says dlerror's reason) or lacks a symbol (*missing
 * names the first one absent; the library is older than the table). */
bool pf_dl_table(const char *soname, const pf_dl_symbol *symbols, size_t n, const char **missing, char *why,
                 size_t why_len);

#endif
