/* Child processes in their own process group: line-by-line output capture,
 * a timeout and cancellation that kill the whole group, resource limits,
 * and no zombies. Children start with posix_spawn (no code runs between
 * fork and exec in a threaded server) and an environment built in the
 * parent, never the server's own: see pf_child_env.
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

/* What a child may use. memory_bytes is checked on the child's resident
 * size every time its output is pumped (at least every 50 ms), which holds
 * in sanitised builds too; with address_space the kernel also refuses
 * allocations past memory_bytes plus PF_ADDRESS_SPACE_SLACK between two
 * checks (RLIMIT_AS; a sanitised binary cannot run under it, so leave it
 * false for prodflow's own children there). cpu_seconds is RLIMIT_CPU,
 * counted from when the limit is set (pf_child_limit_cpu). file_bytes is
 * RLIMIT_FSIZE, the largest file the child may write: past it the kernel
 * sends SIGXFSZ, which ends it (file_exceeded below). */
typedef struct pf_limits {
    unsigned long long memory_bytes; /* 0: none */
    bool address_space;
    long cpu_seconds;              /* <= 0: none */
    unsigned long long file_bytes; /* 0: none */
    bool file_by_quota;            /* file_bytes is the room a disk quota leaves (for the message) */
} pf_limits;

/* Mappings that cost no memory (libraries, thread stacks, malloc arenas)
 * count towards the address space: the hard limit leaves them room. */
#define PF_ADDRESS_SPACE_SLACK (1ULL << 30)

typedef struct pf_subprocess_opts {
    const char *const *argv; /* argv[0] is looked up in the server's PATH */
    const char *cwd;         /* NULL: inherit */
    const char *const *env;  /* NAME=VALUE entries over pf_child_env's base, NULL-terminated; may be NULL */
    pf_limits limits;
    const char *input; /* written to the child's stdin, which is then closed; NULL: stdin is /dev/null */
    size_t input_len;
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
    bool memory_exceeded;        /* killed for going past limits.memory_bytes */
    bool cpu_exceeded;           /* killed by the CPU-time limit (SIGXCPU or SIGKILL at the hard limit) */
    bool file_exceeded;          /* killed for writing a file past limits.file_bytes (SIGXFSZ) */
    unsigned long long peak_rss; /* the most resident memory seen, in bytes (when a memory limit was set) */
    bool lost; /* an adopted child whose end nobody could report (its starter died): exit_code is -1 */
} pf_subprocess_result;

/* The environment every child gets, built in the parent: PATH with the
 * system's own directories first (Debian's Blender takes its Python from
 * the first python3 on PATH, so a pyenv, conda or virtualenv python first
 * on the server's PATH would break every render), HOME, TMPDIR, LANG and
 * the sanitizer options from the server's environment, then extra
 * NAME=VALUE entries (NULL-terminated, may be NULL), which replace a base
 * entry of the same name. NULL-terminated; free with pf_child_env_free. */
char **pf_child_env(const char *const *extra);
void pf_child_env_free(char **env);

/* NULL once the child ran (whatever its exit code); an error when it could
 * not start, e.g. PF_ENOTFOUND for a missing program. */
pf_error *pf_subprocess_run(const pf_subprocess_opts *opts, pf_subprocess_result *out);

/* A long-lived child. Only argv, cwd, env and limits of opts are used.
 * With with_stdin its stdin is a pipe for pf_child_write, else /dev/null. */
typedef struct pf_child pf_child;
pf_error *pf_child_spawn(const pf_subprocess_opts *opts, bool with_stdin, pf_child **out);
pid_t pf_child_pid(const pf_child *child);

/* A helper process that talks over a socket instead of pipes (the module
 * zygote, runtime/zygote.h): its stdin is sock, its stdout /dev/null and
 * its stderr the server's own, so what it logs lands in the server's log
 * and no pipe of it needs pumping. Only argv, cwd and env of opts are used. */
pf_error *pf_child_spawn_on(const pf_subprocess_opts *opts, int sock, pf_child **out);

/* Says how an adopted child ended, as waitpid's status; false when that
 * cannot be known (whoever started it is gone). Blocks until it ended. */
typedef bool (*pf_child_reaper)(void *user, int *status);
/* A child another process started for us (a zygote's fork), in its own
 * process group, on our pipes: in_fd its stdin's write end (-1: none),
 * out_fd and err_fd the read ends of its stdout and stderr, all taken
 * over. The memory watchdog watches it as it watches our own; limits on
 * address space and CPU time it set itself. reaper replaces waitpid. */
pf_error *pf_child_adopt(pid_t pid, int in_fd, int out_fd, int err_fd, unsigned long long memory_bytes,
                         pf_child_reaper reaper, void *user, pf_child **out);
/* pf_subprocess_run for a child started already: writes opts->input, pumps
 * under opts' timeout and cancel, and reaps it (the handle is freed). */
void pf_child_run(pf_child *child, const pf_subprocess_opts *opts, pf_subprocess_result *out);
/* Writes all of data to the child's stdin; false once the child is gone. */
bool pf_child_write(pf_child *child, const char *data, size_t len);

typedef enum {
    PF_PUMP_STOPPED,   /* *stop became true */
    PF_PUMP_EXITED,    /* both output streams closed: the child is ending */
    PF_PUMP_DEADLINE,  /* the monotonic deadline passed */
    PF_PUMP_CANCELLED, /* *cancel became true */
    PF_PUMP_MEMORY,    /* the child went past its memory limit; its group was killed */
} pf_pump_result;

/* Feeds output lines to on_line until one of the results above. stop and
 * cancel may be NULL; deadline_ms <= 0 means none (see pf_now_ms). */
pf_pump_result pf_child_pump(pf_child *child, pf_line_fn on_line, void *user, const bool *stop, long deadline_ms,
                             const atomic_bool *cancel);
/* Gives the child cpu_seconds more CPU time from now (a long-lived child
 * gets one budget per job; RLIMIT_CPU alone would add up over all of
 * them); <= 0 lifts the limit. */
pf_error *pf_child_limit_cpu(pf_child *child, long cpu_seconds);
/* A process's state letter from /proc (R, S, D, T for stopped, t for
 * traced, Z for a zombie, …), 0 once it is gone. For a zombie, *status
 * (may be NULL) gets its wait status, even when it is not our child; 'X'
 * when that cannot be read. Watching a helper this way needs no timeout. */
char pf_proc_state(pid_t pid, int *status);
/* The most resident memory the pump has seen, in bytes. */
unsigned long long pf_child_peak_rss(const pf_child *child);
/* Kills the process group, reaps the child and frees the handle. */
void pf_child_kill(pf_child *child);
/* Closes stdin, waits up to grace_ms for a clean exit (then kills), reaps
 * and frees. Fills *out when given. */
void pf_child_finish(pf_child *child, long grace_ms, pf_line_fn on_line, void *user, pf_subprocess_result *out);

/* Monotonic milliseconds, the clock of pump deadlines. */
long pf_now_ms(void);

#endif
