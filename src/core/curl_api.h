/* libcurl, loaded by the first call that needs it (a webhook, a worker's
 * artifact transfer) rather than by every prodflow process at start: it
 * and what it pulls in (nghttp2, libssh2, librtmp, Kerberos, LDAP, …) are
 * a third of the shared objects the binary would load, and `prodflow
 * --help`, `validate` and module children never use it (issue 18;
 * docs/scale-out.md, "Child start-up"). Files that use curl include this
 * header instead of <curl/curl.h>: each curl function they call goes
 * through the table. */
#ifndef PF_CORE_CURL_API_H
#define PF_CORE_CURL_API_H

/* The type-checking wrappers are macros named like the functions. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#define PF_CURL_FUNCTIONS(X)                                                                                           \
    X(curl_easy_cleanup)                                                                                               \
    X(curl_easy_getinfo)                                                                                               \
    X(curl_easy_init)                                                                                                  \
    X(curl_easy_perform)                                                                                               \
    X(curl_easy_setopt)                                                                                                \
    X(curl_easy_strerror)                                                                                              \
    X(curl_free)                                                                                                       \
    X(curl_slist_append)                                                                                               \
    X(curl_slist_free_all)                                                                                             \
    X(curl_url)                                                                                                        \
    X(curl_url_cleanup)                                                                                                \
    X(curl_url_get)                                                                                                    \
    X(curl_url_set)

typedef struct pf_curl_api {
#define PF_CURL_FIELD(f) __typeof__(f) *f;
    PF_CURL_FUNCTIONS(PF_CURL_FIELD)
#undef PF_CURL_FIELD
} pf_curl_api;

/* The table, loaded on the first call. A process that cannot load libcurl
 * says so on stderr and aborts: what the dynamic loader did before, for
 * every command, when libcurl was linked in. */
const pf_curl_api *pf_curl(void);

#ifndef PF_CURL_API_IMPL /* curl_api.c names the functions themselves */
/* curl.h makes these two macros that check the argument count. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_easy_cleanup (pf_curl()->curl_easy_cleanup)
#define curl_easy_getinfo (pf_curl()->curl_easy_getinfo)
#define curl_easy_init (pf_curl()->curl_easy_init)
#define curl_easy_perform (pf_curl()->curl_easy_perform)
#define curl_easy_setopt (pf_curl()->curl_easy_setopt)
#define curl_easy_strerror (pf_curl()->curl_easy_strerror)
#define curl_free (pf_curl()->curl_free)
#define curl_slist_append (pf_curl()->curl_slist_append)
#define curl_slist_free_all (pf_curl()->curl_slist_free_all)
#define curl_url (pf_curl()->curl_url)
#define curl_url_cleanup (pf_curl()->curl_url_cleanup)
#define curl_url_get (pf_curl()->curl_url_get)
#define curl_url_set (pf_curl()->curl_url_set)
#endif

#endif
