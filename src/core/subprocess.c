#include "core/subprocess.h"

#include "core/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
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

static void exec_child(const pf_subprocess_opts *o, int in_fd, int out_fd, int err_fd, int status_fd) {
    setpgid(0, 0);
    /* The parent may block signals (prodflow serve does); the child starts clean. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    if (in_fd < 0) in_fd = open("/dev/null", O_RDONLY);
    if (in_fd >= 0) dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    if (o->cwd && chdir(o->cwd) != 0) {
        int e = errno;
        (void)!write(status_fd, &e, sizeof e);
        _exit(127);
    }
    for (const char *const *e = o->env; e && *e; e++)
        putenv((char *)*e);
    execvp(o->argv[0], (char *const *)o->argv);
    int e = errno;
    (void)!write(status_fd, &e, sizeof e);
    _exit(127);
}

static void close_all(int *fds, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (fds[i] >= 0) close(fds[i]);
}

pf_error *pf_child_spawn(const pf_subprocess_opts *o, bool with_stdin, pf_child **out) {
    /* in, out, err and exec-status pipes: read end at [2k], write end at [2k+1] */
    int p[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
    for (int k = with_stdin ? 0 : 1; k < 4; k++)
        if (pipe2(p + 2 * k, O_CLOEXEC)) {
            close_all(p, 8);
            return pf_error_new(PF_EIO, "", "cannot create pipes for %s: %s", o->argv[0], strerror(errno));
        }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close_all(p, 8);
        return pf_error_new(PF_EIO, "", "cannot start %s: %s", o->argv[0], strerror(e));
    }
    if (pid == 0) exec_child(o, p[0], p[3], p[5], p[7]);
    setpgid(pid, pid); /* also in the parent, so the group exists before any kill */
    int parent_ends[] = {p[0], p[3], p[5], p[7]};
    close_all(parent_ends, 4);
    int exec_errno = 0;
    ssize_t got = read(p[6], &exec_errno, sizeof exec_errno);
    close(p[6]);
    if (got == (ssize_t)sizeof exec_errno) {
        int rest[] = {p[1], p[2], p[4]};
        close_all(rest, 3);
        waitpid(pid, NULL, 0);
        return pf_error_new(exec_errno == ENOENT ? PF_ENOTFOUND : PF_EIO, "", "cannot run %s: %s", o->argv[0],
                            strerror(exec_errno));
    }
    pf_child *c = pf_xcalloc(1, sizeof *c);
    c->pid = pid;
    c->in_fd = p[1];
    c->out_fd[0] = p[2];
    c->out_fd[1] = p[4];
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
            return PF_PUMP_EXITED;
        }
        if (cancel && atomic_load(cancel)) return PF_PUMP_CANCELLED;
        long wait = 50;
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
    waitpid(c->pid, &status, 0);
    /* Grandchildren that kept no pipe open would outlive the child: end the group. */
    kill(-c->pid, SIGKILL);
    if (out) {
        out->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        out->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
    int fds[] = {c->in_fd, c->out_fd[0], c->out_fd[1]};
    close_all(fds, 3);
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
    memset(out, 0, sizeof *out);
    pf_child *c = NULL;
    pf_error *err = pf_child_spawn(o, false, &c);
    if (err) return err;
    long grace = o->grace_ms > 0 ? o->grace_ms : 2000;
    long deadline = o->timeout_ms > 0 ? pf_now_ms() + o->timeout_ms : 0;
    /* Running, then SIGTERM sent and waiting out the grace, then SIGKILL sent. */
    enum { RUNNING, TERMINATING, KILLED } phase = RUNNING;
    for (;;) {
        pf_pump_result r = pf_child_pump(c, o->on_line, o->user, NULL, phase == KILLED ? 0 : deadline,
                                         phase == RUNNING ? o->cancel : NULL);
        if (r == PF_PUMP_EXITED) break;
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
    return NULL;
}
