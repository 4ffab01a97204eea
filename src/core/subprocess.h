/* Child processes in their own process group: line-by-line output capture,
 * a timeout and cancellation that kill the whole group, and no zombies.
 * pf_subprocess_run runs a command to its end; a pf_child stays alive and
 * takes input on its stdin (the warm Blender workers use it). */
#ifndef PF_CORE_SUBPROCESS_H
#define PF_CORE_SUBPROCESS_H

#include "core/error.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

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

/* A long-lived child. Only argv, cwd and env of opts are used. With
 * with_stdin its stdin is a pipe for pf_child_write, else /dev/null. */
typedef struct pf_child pf_child;
pf_error *pf_child_spawn(const pf_subprocess_opts *opts, bool with_stdin, pf_child **out);
pid_t pf_child_pid(const pf_child *child);
/* Writes all of data to the child's stdin; false once the child is gone. */
bool pf_child_write(pf_child *child, const char *data, size_t len);

typedef enum {
    PF_PUMP_STOPPED,   /* *stop became true */
    PF_PUMP_EXITED,    /* both output streams closed: the child is ending */
    PF_PUMP_DEADLINE,  /* the monotonic deadline passed */
    PF_PUMP_CANCELLED, /* *cancel became true */
} pf_pump_result;

/* Feeds output lines to on_line until one of the results above. stop and
 * cancel may be NULL; deadline_ms <= 0 means none (see pf_now_ms). */
pf_pump_result pf_child_pump(pf_child *child, pf_line_fn on_line, void *user, const bool *stop, long deadline_ms,
                             const atomic_bool *cancel);
/* Kills the process group, reaps the child and frees the handle. */
void pf_child_kill(pf_child *child);
/* Closes stdin, waits up to grace_ms for a clean exit (then kills), reaps
 * and frees. Fills *out when given. */
void pf_child_finish(pf_child *child, long grace_ms, pf_line_fn on_line, void *user, pf_subprocess_result *out);

/* Monotonic milliseconds, the clock of pump deadlines. */
long pf_now_ms(void);

#endif
