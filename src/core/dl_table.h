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

/* The symbol for the function f, in a file whose table is named api:
 * `static const pf_dl_symbol symbols[] = {PF_CURL_FUNCTIONS(PF_DL_SYMBOL)};` */
#define PF_DL_SYMBOL(f) {#f, &api.f},

/* Opens soname (never closed: the table lives as long as the process)
 * and fills each symbol's field. False, with why, when the library cannot
 * be opened ("cannot load SONAME: dlerror's reason") or lacks a symbol
 * ("SONAME has no F: it is older than OLDEST", the oldest release that
 * has them all). */
bool pf_dl_table(const char *soname, const char *oldest, const pf_dl_symbol *symbols, size_t n, char *why,
                 size_t why_len);

#endif
