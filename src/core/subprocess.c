#include "core/subprocess.h"

#include "core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    char *buf;
    size_t len, cap;
} line_buf;

struct pf_child {
    pid_t pid;
    int in_fd;     /* -1 when there is none */
    int out_fd[2]; /* stdout, stderr; -1 once closed */
    line_buf bufs[2];
    unsigned long long memory_limit, peak_rss;
    int statm_fd; /* /proc/PID/statm while a memory limit holds, else -1 */
    bool memory_exceeded;
    pf_child_reaper reaper; /* an adopted child's: says how it ended; NULL for our own */
    void *reaper_user;
};

long pf_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Emits every complete line in b; keeps the unfinished tail. */
static void flush_lines(line_buf *b, int stream, pf_line_fn fn, void *user, bool final) {
    size_t start = 0;
    for (size_t i = 0; i < b->len; i++) {
        if (b->buf[i] != '\n') continue;
        if (fn) fn(user, stream, b->buf + start, i - start);
        start = i + 1;
    }
    if (final && start < b->len) {
        if (fn) fn(user, stream, b->buf + start, b->len - start);
        start = b->len;
    }
    if (start == 0) return;
    memmove(b->buf, b->buf + start, b->len - start);
    b->len -= start;
}

static bool drain(int fd, line_buf *b, int stream, pf_line_fn fn, void *user) {
    char chunk[65536];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    if (n <= 0) return false;
    if (b->len + (size_t)n > b->cap) {
        b->cap = (b->len + (size_t)n) * 2;
        b->buf = pf_xrealloc(b->buf, b->cap);
    }
    memcpy(b->buf + b->len, chunk, (size_t)n);
    b->len += (size_t)n;
    flush_lines(b, stream, fn, user, false);
    return true;
}

/* ------------------------------------------------------------ environment */

/* Taken from the server's environment when set. Nothing else of it (API
 * tokens, credentials, a user's PYTHONPATH or PYTHONHOME) reaches a child.
 * PRODFLOW_OCCT_MODULE: a module child loads the same CAD kernel as its
 * parent (src/cad/cad_loader.c). */
static const char *const passed_on[] = {"HOME",
                                        "TMPDIR",
                                        "LANG",
                                        "LC_ALL",
                                        "TZ",
                                        "ASAN_OPTIONS",
                                        "LSAN_OPTIONS",
                                        "UBSAN_OPTIONS",
                                        "TSAN_OPTIONS",
                                        "SOURCE_DATE_EPOCH",
                                        "PRODFLOW_OCCT_MODULE"};

/* The system's own directories first: see pf_child_env. */
#define CHILD_PATH "PATH=/usr/bin:/bin:/usr/sbin:/sbin:/usr/local/bin"

static size_t name_len(const char *entry) {
    const char *eq = strchr(entry, '=');
    return eq ? (size_t)(eq - entry) : strlen(entry);
}

char **pf_child_env(const char *const *extra) {
    size_t n_extra = 0;
    while (extra && extra[n_extra])
        n_extra++;
    size_t n_passed = sizeof passed_on / sizeof *passed_on;
    char **env = pf_xcalloc(n_passed + n_extra + 2, sizeof *env);
    size_t n = 0;
    env[n++] = pf_strdup(CHILD_PATH);
    for (size_t i = 0; i < n_passed; i++) {
        const char *v = getenv(passed_on[i]);
        if (v) env[n++] = pf_asprintf("%s=%s", passed_on[i], v);
    }
    for (size_t i = 0; i < n_extra; i++) {
        size_t len = name_len(extra[i]), k = 0;
        while (k < n && !(name_len(env[k]) == len && strncmp(env[k], extra[i], len) == 0))
            k++;
        if (k < n) free(env[k]);
        env[k] = pf_strdup(extra[i]);
        if (k == n) n++;
    }
    return env;
}

void pf_child_env_free(char **env) {
    for (size_t i = 0; env && env[i]; i++)
        free(env[i]);
    free(env);
}

/* ----------------------------------------------------------------- limits */

static pf_error *set_limit(pid_t pid, int resource, rlim_t soft, rlim_t hard, const char *what) {
    struct rlimit lim = {.rlim_cur = soft, .rlim_max = hard};
    if (prlimit(pid, resource, &lim, NULL) == 0) return NULL;
    return pf_error_new(PF_EIO, "", "cannot set the %s limit of process %d: %s", what, (int)pid, strerror(errno));
}

/* /proc/PID/stat from the field after the command name (the state), which
 * may hold spaces and parentheses; false when the process is gone. */
static bool read_stat(pid_t pid, char *buf, size_t size, const char **fields) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0) return false;
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    if (!p || !p[1] || !p[2]) return false;
    *fields = p + 2;
    return true;
}

/* CPU seconds the process has used (user and system), from /proc. */
static long cpu_used_s(pid_t pid) {
    char buf[1024];
    const char *p;
    if (!read_stat(pid, buf, sizeof buf, &p)) return 0;
    /* utime and stime are the 14th and 15th fields. */
    unsigned long utime = 0, stime = 0;
    if (sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) return 0;
    return (long)((utime + stime) / (unsigned long)sysconf(_SC_CLK_TCK));
}

char pf_proc_state(pid_t pid, int *status) {
    char buf[1024];
    const char *p;
    if (!read_stat(pid, buf, sizeof buf, &p)) return 0;
    char state = *p;
    if (state == 'Z' && status) {
        /* exit_code, the 52nd field (the state is the 3rd): the status
         * waitpid would give its parent, readable by anyone who may read
         * the process, which its parent need not be (Linux 3.5). */
        int field = 3;
        for (const char *q = p; *q && field < 52; q++)
            if (*q == ' ') field++, p = q + 1;
        if (field != 52 || sscanf(p, "%d", status) != 1) return 'X';
    }
    return state;
}

pf_error *pf_child_limit_cpu(pf_child *c, long cpu_seconds) {
    /* SIGXCPU comes at the soft limit, SIGKILL at the hard one should the
     * child catch or ignore it. An unprivileged process may lower its hard
     * limit but never raise it again, so the hard limit stays unlimited
     * and the soft one moves per job. */
    rlim_t soft = cpu_seconds > 0 ? (rlim_t)(cpu_used_s(c->pid) + cpu_seconds) : RLIM_INFINITY;
    struct rlimit now;
    if (prlimit(c->pid, RLIMIT_CPU, NULL, &now) != 0)
        return pf_error_new(PF_EIO, "", "cannot read the CPU-time limit of process %d: %s", (int)c->pid,
                            strerror(errno));
    return set_limit(c->pid, RLIMIT_CPU, soft, now.rlim_max, "CPU-time");
}

static pf_error *apply_limits(pf_child *c, const pf_limits *l) {
    pf_error *err = NULL;
    if (l->memory_bytes && l->address_space) {
        rlim_t as = (rlim_t)(l->memory_bytes + PF_ADDRESS_SPACE_SLACK);
        err = set_limit(c->pid, RLIMIT_AS, as, as, "address-space");
    }
    if (!err && l->cpu_seconds > 0) err = pf_child_limit_cpu(c, l->cpu_seconds);
    if (!err && l->file_bytes) err = set_limit(c->pid, RLIMIT_FSIZE, l->file_bytes, l->file_bytes, "file-size");
    if (!err && l->memory_bytes) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/statm", (int)c->pid);
        c->statm_fd = open(path, O_RDONLY | O_CLOEXEC);
        c->memory_limit = l->memory_bytes;
        if (c->statm_fd < 0) err = pf_error_new(PF_EIO, "", "cannot watch the memory of process %d", (int)c->pid);
    }
    return err;
}

/* Resident bytes now; 0 when the child is gone. */
static unsigned long long resident(const pf_child *c) {
    char buf[128];
    ssize_t n = pread(c->statm_fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return 0;
    buf[n] = '\0';
    unsigned long long size = 0, pages = 0;
    if (sscanf(buf, "%llu %llu", &size, &pages) != 2) return 0;
    return pages * (unsigned long long)sysconf(_SC_PAGESIZE);
}

/* The watchdog: true once the child went past its memory limit, which
 * kills its whole group at once. */
static bool over_memory(pf_child *c) {
    if (c->statm_fd < 0 || c->memory_exceeded) return c->memory_exceeded;
    unsigned long long rss = resident(c);
    if (rss > c->peak_rss) c->peak_rss = rss;
    if (rss <= c->memory_limit) return false;
    c->memory_exceeded = true;
    kill(-c->pid, SIGKILL);
    return true;
}

unsigned long long pf_child_peak_rss(const pf_child *c) { return c->peak_rss; }

/* ------------------------------------------------------------------ spawn */

static void close_all(int *fds, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (fds[i] >= 0) close(fds[i]);
}

/* The child's start, as posix_spawn does it: its own process group, no
 * blocked signals (prodflow serve blocks SIGINT and SIGTERM for sigwait)
 * and default dispositions (the server ignores SIGPIPE), its stdio on the
 * pipes, nothing else of the parent's descriptors, and the environment
 * built here. Descriptors without O_CLOEXEC (a Redis connection hiredis
 * opened, a socket a library made) would otherwise outlive the parent in
 * the child: a Blender child of a killed worker kept the worker's BRPOP
 * open and took the next task off the queue. */
static int spawn(const pf_subprocess_opts *o, int in_fd, int out_fd, int err_fd, pid_t *pid) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    if (in_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    else
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (out_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    else
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    if (o->cwd) posix_spawn_file_actions_addchdir_np(&fa, o->cwd);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    char **env = pf_child_env(o->env);
    int rc = posix_spawnp(pid, o->argv[0], &fa, &attr, (char *const *)o->argv, env);
    pf_child_env_free(env);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

pf_error *pf_child_spawn(const pf_subprocess_opts *o, bool with_stdin, pf_child **out) {
    /* in, out and err pipes: read end at [2k], write end at [2k+1] */
    int p[6] = {-1, -1, -1, -1, -1, -1};
    for (int k = with_stdin ? 0 : 1; k < 3; k++)
        if (pipe2(p + 2 * k, O_CLOEXEC)) {
            close_all(p, 6);
            return pf_error_new(PF_EIO, "", "cannot create pipes for %s: %s", o->argv[0], strerror(errno));
        }
    pid_t pid = -1;
    int rc = spawn(o, p[0], p[3], p[5], &pid);
    int child_ends[] = {p[0], p[3], p[5]};
    close_all(child_ends, 3);
    if (rc != 0) {
        int rest[] = {p[1], p[2], p[4]};
        close_all(rest, 3);
        return pf_error_new(rc == ENOENT ? PF_ENOTFOUND : PF_EIO, "", "cannot run %s: %s", o->argv[0], strerror(rc));
    }
    pf_child *c = pf_xcalloc(1, sizeof *c);
    c->pid = pid;
    c->in_fd = p[1];
    c->out_fd[0] = p[2];
    c->out_fd[1] = p[4];
    c->statm_fd = -1;
    pf_error *err = apply_limits(c, &o->limits);
    if (err) {
        pf_child_kill(c);
        return err;
    }
    *out = c;
    return NULL;
}

pf_error *pf_child_spawn_on(const pf_subprocess_opts *o, int sock, pf_child **out) {
    pid_t pid = -1;
    int rc = spawn(o, sock, -1, STDERR_FILENO, &pid);
    if (rc != 0)
        return pf_error_new(rc == ENOENT ? PF_ENOTFOUND : PF_EIO, "", "cannot run %s: %s", o->argv[0], strerror(rc));
    pf_child *c = pf_xcalloc(1, sizeof *c);
    c->pid = pid;
    c->in_fd = c->out_fd[0] = c->out_fd[1] = c->statm_fd = -1;
    *out = c;
    return NULL;
}

pf_error *pf_child_adopt(pid_t pid, int in_fd, int out_fd, int err_fd, unsigned long long memory_bytes,
                         pf_child_reaper reaper, void *user, pf_child **out) {
    pf_child *c = pf_xcalloc(1, sizeof *c);
    c->pid = pid;
    c->in_fd = in_fd;
    c->out_fd[0] = out_fd;
    c->out_fd[1] = err_fd;
    c->statm_fd = -1;
    c->reaper = reaper;
    c->reaper_user = user;
    /* Its address-space, CPU and file-size limits it set itself, before it read its job. */
    pf_error *err = apply_limits(c, &(pf_limits){.memory_bytes = memory_bytes});
    if (err) {
        pf_child_kill(c);
        return err;
    }
    *out = c;
    return NULL;
}

pid_t pf_child_pid(const pf_child *c) { return c->pid; }

bool pf_child_write(pf_child *c, const char *data, size_t len) {
    while (len > 0 && c->in_fd >= 0) {
        ssize_t n = write(c->in_fd, data, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n, len -= (size_t)n;
    }
    return len == 0;
}

pf_pump_result pf_child_pump(pf_child *c, pf_line_fn fn, void *user, const bool *stop, long deadline_ms,
                             const atomic_bool *cancel) {
    for (;;) {
        if (stop && *stop) return PF_PUMP_STOPPED;
        if (c->out_fd[0] < 0 && c->out_fd[1] < 0) {
            for (int i = 0; i < 2; i++)
                flush_lines(&c->bufs[i], i + 1, fn, user, true);
            return c->memory_exceeded ? PF_PUMP_MEMORY : PF_PUMP_EXITED;
        }
        if (over_memory(c)) return PF_PUMP_MEMORY;
        if (cancel && atomic_load(cancel)) return PF_PUMP_CANCELLED;
        long wait = 50; /* also how often the memory watchdog looks */
        if (deadline_ms > 0) {
            long left = deadline_ms - pf_now_ms();
            if (left <= 0) return PF_PUMP_DEADLINE;
            if (left < wait) wait = left;
        }
        struct pollfd fds[2] = {{.fd = c->out_fd[0], .events = POLLIN}, {.fd = c->out_fd[1], .events = POLLIN}};
        if (poll(fds, 2, (int)wait) < 0 && errno != EINTR) return PF_PUMP_EXITED;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (!drain(fds[i].fd, &c->bufs[i], i + 1, fn, user)) {
                close(c->out_fd[i]);
                c->out_fd[i] = -1;
            }
        }
    }
}

static void reap(pf_child *c, pf_subprocess_result *out) {
    int status = 0;
    bool lost = false;
    if (c->reaper)
        lost = !c->reaper(c->reaper_user, &status);
    else
        waitpid(c->pid, &status, 0);
    /* Grandchildren that kept no pipe open would outlive the child: end the group. */
    kill(-c->pid, SIGKILL);
    if (out) {
        out->lost = lost;
        out->exit_code = !lost && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        out->term_signal = !lost && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        out->memory_exceeded = c->memory_exceeded;
        out->cpu_exceeded = out->term_signal == SIGXCPU;
        out->file_exceeded = out->term_signal == SIGXFSZ;
        out->peak_rss = c->peak_rss;
    }
    int fds[] = {c->in_fd, c->out_fd[0], c->out_fd[1], c->statm_fd};
    close_all(fds, 4);
    free(c->bufs[0].buf);
    free(c->bufs[1].buf);
    free(c);
}

void pf_child_kill(pf_child *c) {
    kill(-c->pid, SIGKILL);
    reap(c, NULL);
}

void pf_child_finish(pf_child *c, long grace_ms, pf_line_fn fn, void *user, pf_subprocess_result *out) {
    if (c->in_fd >= 0) close(c->in_fd);
    c->in_fd = -1;
    if (pf_child_pump(c, fn, user, NULL, pf_now_ms() + (grace_ms > 0 ? grace_ms : 2000), NULL) != PF_PUMP_EXITED) {
        kill(-c->pid, SIGKILL);
        pf_child_pump(c, fn, user, NULL, 0, NULL);
    }
    reap(c, out);
}

pf_error *pf_subprocess_run(const pf_subprocess_opts *o, pf_subprocess_result *out) {
    pf_child *c = NULL;
    pf_error *err = pf_child_spawn(o, o->input != NULL, &c);
    if (err) {
        memset(out, 0, sizeof *out);
        return err;
    }
    pf_child_run(c, o, out);
    return NULL;
}

void pf_child_run(pf_child *c, const pf_subprocess_opts *o, pf_subprocess_result *out) {
    memset(out, 0, sizeof *out);
    if (o->input) {
        /* The child reads all of its input before it answers, so writing it
         * whole cannot deadlock against a full output pipe. */
        pf_child_write(c, o->input, o->input_len);
        close(c->in_fd);
        c->in_fd = -1;
    }
    long grace = o->grace_ms > 0 ? o->grace_ms : 2000;
    long deadline = o->timeout_ms > 0 ? pf_now_ms() + o->timeout_ms : 0;
    /* Running, then SIGTERM sent and waiting out the grace, then SIGKILL sent. */
    enum { RUNNING, TERMINATING, KILLED } phase = RUNNING;
    for (;;) {
        pf_pump_result r = pf_child_pump(c, o->on_line, o->user, NULL, phase == KILLED ? 0 : deadline,
                                         phase == RUNNING ? o->cancel : NULL);
        if (r == PF_PUMP_EXITED || r == PF_PUMP_MEMORY) break; /* on MEMORY the group is killed already */
        if (phase == RUNNING) {
            out->timed_out = r == PF_PUMP_DEADLINE;
            out->cancelled = r == PF_PUMP_CANCELLED;
            kill(-c->pid, SIGTERM);
            phase = TERMINATING;
            deadline = pf_now_ms() + grace;
        } else {
            kill(-c->pid, SIGKILL);
            phase = KILLED;
        }
    }
    reap(c, out);
}
