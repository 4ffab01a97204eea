/* libmicrohttpd, loaded when a server starts rather than by every prodflow
 * process: with GnuTLS and the eight libraries GnuTLS pulls in (p11-kit,
 * nettle, gmp, libtasn1, …) it cost each process about 3 ms before `main`
 * (relocations, and GnuTLS's own set-up in its constructor), which
 * `prodflow --help`, `cad inspect` and module children never use (issue
 * 18). Only api/server.c calls libmicrohttpd; it includes this header
 * instead of <microhttpd.h>, and each call goes through the table. As
 * core/curl_api.h does for libcurl. */
#ifndef PF_API_MHD_API_H
#define PF_API_MHD_API_H

#include <microhttpd.h>

#define PF_MHD_FUNCTIONS(X)                                                                                            \
    X(MHD_add_response_header)                                                                                         \
    X(MHD_create_post_processor)                                                                                       \
    X(MHD_create_response_from_buffer)                                                                                 \
    X(MHD_create_response_from_callback)                                                                               \
    X(MHD_create_response_from_fd_at_offset64)                                                                         \
    X(MHD_destroy_post_processor)                                                                                      \
    X(MHD_destroy_response)                                                                                            \
    X(MHD_get_connection_info)                                                                                         \
    X(MHD_get_reason_phrase_for)                                                                                       \
    X(MHD_lookup_connection_value)                                                                                     \
    X(MHD_post_process)                                                                                                \
    X(MHD_queue_response)                                                                                              \
    X(MHD_resume_connection)                                                                                           \
    X(MHD_start_daemon)                                                                                                \
    X(MHD_stop_daemon)                                                                                                 \
    X(MHD_suspend_connection)

typedef struct pf_mhd_api {
#define PF_MHD_FIELD(f) __typeof__(f) *f;
    PF_MHD_FUNCTIONS(PF_MHD_FIELD)
#undef PF_MHD_FIELD
} pf_mhd_api;

/* The table, loaded on the first call. A process that cannot load
 * libmicrohttpd says so on stderr and aborts: what the dynamic loader did
 * before, for every command, when it was linked in. */
const pf_mhd_api *pf_mhd(void);

#ifndef PF_MHD_API_IMPL /* mhd_api.c names the functions themselves */
#define MHD_add_response_header (pf_mhd()->MHD_add_response_header)
#define MHD_create_post_processor (pf_mhd()->MHD_create_post_processor)
#define MHD_create_response_from_buffer (pf_mhd()->MHD_create_response_from_buffer)
#define MHD_create_response_from_callback (pf_mhd()->MHD_create_response_from_callback)
#define MHD_create_response_from_fd_at_offset64 (pf_mhd()->MHD_create_response_from_fd_at_offset64)
#define MHD_destroy_post_processor (pf_mhd()->MHD_destroy_post_processor)
#define MHD_destroy_response (pf_mhd()->MHD_destroy_response)
#define MHD_get_connection_info (pf_mhd()->MHD_get_connection_info)
#define MHD_get_reason_phrase_for (pf_mhd()->MHD_get_reason_phrase_for)
#define MHD_lookup_connection_value (pf_mhd()->MHD_lookup_connection_value)
#define MHD_post_process (pf_mhd()->MHD_post_process)
#define MHD_queue_response (pf_mhd()->MHD_queue_response)
#define MHD_resume_connection (pf_mhd()->MHD_resume_connection)
#define MHD_start_daemon (pf_mhd()->MHD_start_daemon)
#define MHD_stop_daemon (pf_mhd()->MHD_stop_daemon)
#define MHD_suspend_connection (pf_mhd()->MHD_suspend_connection)
#endif

#endif
