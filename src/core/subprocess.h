/* Child processes in their own process group: line-by-line output capture,
 * a timeout and cancellation that kill the whole group, and no zombies. */
#ifndef PF_CORE_SUBPROCESS_H
#define PF_CORE_SUBPROCESS_H

#include "core/error.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

typedef void (*pf_line_fn)(void *user, int stream, const char *line, size_t len);

typedef struct pf_subprocess_opts {
    const char *const *argv;   /* argv[0] is looked up in PATH */
    const char *cwd;           /* NULL: inherit */
    const char *const *env;    /* extra NAME=VALUE entries, NULL-terminated; may be NULL */
    long timeout_ms;           /* <= 0: none */
    long grace_ms;             /* SIGTERM to SIGKILL; 0 means 2000 */
    const atomic_bool *cancel; /* polled; may be NULL */
    pf_line_fn on_line;        /* stream 1 = stdout, 2 = stderr; may be NULL */
    void *user;
} pf_subprocess_opts;

typedef struct pf_subprocess_result {
    int exit_code;   /* -1 when killed by a signal */
    int term_signal; /* 0 unless killed */
    bool timed_out;
    bool cancelled;
} pf_subprocess_result;

/* NULL once the child ran (whatever its exit code); an error when it could
 * not start, e.g. PF_ENOTFOUND for a missing program. */
pf_error *pf_subprocess_run(const pf_subprocess_opts *opts, pf_subprocess_result *out);

#endif
