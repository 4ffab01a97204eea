/* libcurl, libpq and libmicrohttpd (with GnuTLS and what they pull in) are
 * loaded only by the processes that use them (core/curl_api.c,
 * store/pg_api.c, api/mhd_api.c): the binary does not link them, and a
 * command that needs none of them does not load them (the integration
 * tests start servers, which load libmicrohttpd, and talk to PostgreSQL and
 * webhooks). Linked in, they cost every process, module children included,
 * milliseconds before `main`. Before libmicrohttpd was loaded on first use,
 * both checks named it. */
#include "check.h"

#include "core/dl_table.h"
#include "support/shell.h"

#include <stdlib.h>
#include <string.h>

static const char *const lazy[] = {"libcurl.so", "libpq.so", "libmicrohttpd.so", "libgnutls.so"};

/* Whether out names any of the lazy libraries; which one in *which. */
static bool names_lazy(const char *out, const char **which) {
    for (size_t i = 0; i < sizeof lazy / sizeof *lazy; i++)
        if (out && strstr(out, lazy[i])) {
            *which = lazy[i];
            return true;
        }
    return false;
}

static void test_not_linked(void) {
    char *out = NULL;
    const char *which = NULL;
    CHECK_INT(pf_test_sh("ldd '" PF_BIN "'", &out), 0);
    CHECK_MSG(out && strstr(out, "libjansson"), "ldd printed: %s", out ? out : "");
    CHECK_MSG(!names_lazy(out, &which), "prodflow links %s:\n%s", which, out);
    free(out);
}

/* The dynamic loader's own list of what a process loaded (LD_DEBUG=files
 * prints a "file=" line for each object it maps, dlopen included). */
static void test_not_loaded_by_version(void) {
    char *out = NULL;
    const char *which = NULL;
    CHECK_INT(pf_test_sh("LD_DEBUG=files '" PF_BIN "' --version", &out), 0);
    CHECK_MSG(out && strstr(out, "file=libjansson"), "LD_DEBUG printed: %s", out ? out : "");
    CHECK_MSG(!names_lazy(out, &which), "prodflow --version loaded %s", which);
    free(out);
}

/* The table every loader fills (core/dl_table.c), and what it says when a
 * library is missing or older than the table: libc stands in for them. */
static void test_table(void) {
    struct {
        size_t (*strlen)(const char *);
        int (*pf_no_such_function)(void);
    } api = {0};
    char why[256];
    pf_dl_symbol found[] = {PF_DL_SYMBOL(strlen)};
    CHECK(pf_dl_table("libc.so.6", "glibc 2.0", found, 1, why, sizeof why));
    CHECK(api.strlen && api.strlen("four") == 4);
    pf_dl_symbol both[] = {PF_DL_SYMBOL(strlen) PF_DL_SYMBOL(pf_no_such_function)};
    CHECK(!pf_dl_table("libc.so.6", "glibc 99", both, 2, why, sizeof why));
    CHECK_MSG(strcmp(why, "libc.so.6 has no pf_no_such_function: it is older than glibc 99") == 0, "%s", why);
    CHECK(!pf_dl_table("libprodflow-absent.so.1", "1.0", found, 1, why, sizeof why));
    CHECK_MSG(strncmp(why, "cannot load libprodflow-absent.so.1: ", 37) == 0, "%s", why);
}

int main(void) {
    test_not_linked();
    test_not_loaded_by_version();
    test_table();
    return pf_check_done("lazy_libraries");
}
