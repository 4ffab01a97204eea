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

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Emits every complete line in b; keeps the unfinished tail. */
static void flush_lines(line_buf *b, int stream, const pf_subprocess_opts *o, bool final) {
    size_t start = 0;
    for (size_t i = 0; i < b->len; i++) {
        if (b->buf[i] != '\n') continue;
        if (o->on_line) o->on_line(o->user, stream, b->buf + start, i - start);
        start = i + 1;
    }
    if (final && start < b->len) {
        if (o->on_line) o->on_line(o->user, stream, b->buf + start, b->len - start);
        start = b->len;
    }
    if (start == 0) return;
    memmove(b->buf, b->buf + start, b->len - start);
    b->len -= start;
}

static bool drain(int fd, line_buf *b, int stream, const pf_subprocess_opts *o) {
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
    flush_lines(b, stream, o, false);
    return true;
}

static void exec_child(const pf_subprocess_opts *o, int out_fd, int err_fd, int status_fd) {
    setpgid(0, 0);
    /* The parent may block signals (prodflow serve does); the child starts clean. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
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

pf_error *pf_subprocess_run(const pf_subprocess_opts *o, pf_subprocess_result *out) {
    memset(out, 0, sizeof *out);
    int outp[2], errp[2], statp[2];
    if (pipe2(outp, O_CLOEXEC) || pipe2(errp, O_CLOEXEC) || pipe2(statp, O_CLOEXEC))
        return pf_error_new(PF_EIO, "", "cannot create pipes for %s: %s", o->argv[0], strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(outp[0]), close(outp[1]), close(errp[0]), close(errp[1]), close(statp[0]), close(statp[1]);
        return pf_error_new(PF_EIO, "", "cannot start %s: %s", o->argv[0], strerror(e));
    }
    if (pid == 0) exec_child(o, outp[1], errp[1], statp[1]);
    setpgid(pid, pid); /* also in the parent, so the group exists before any kill */
    close(outp[1]), close(errp[1]), close(statp[1]);
    int exec_errno = 0;
    ssize_t got = read(statp[0], &exec_errno, sizeof exec_errno);
    close(statp[0]);
    if (got == (ssize_t)sizeof exec_errno) {
        close(outp[0]), close(errp[0]);
        waitpid(pid, NULL, 0);
        return pf_error_new(exec_errno == ENOENT ? PF_ENOTFOUND : PF_EIO, "", "cannot run %s: %s", o->argv[0],
                            strerror(exec_errno));
    }
    line_buf bufs[2] = {{0}, {0}};
    struct pollfd fds[2] = {{.fd = outp[0], .events = POLLIN}, {.fd = errp[0], .events = POLLIN}};
    long start = now_ms(), kill_at = 0, grace = o->grace_ms > 0 ? o->grace_ms : 2000;
    int open_fds = 2;
    while (open_fds > 0) {
        if (!kill_at) {
            if (o->timeout_ms > 0 && now_ms() - start >= o->timeout_ms) out->timed_out = true;
            if (o->cancel && atomic_load(o->cancel)) out->cancelled = true;
            if (out->timed_out || out->cancelled) {
                kill(-pid, SIGTERM);
                kill_at = now_ms() + grace;
            }
        } else if (now_ms() >= kill_at) {
            kill(-pid, SIGKILL);
        }
        if (poll(fds, 2, 50) < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (!drain(fds[i].fd, &bufs[i], i + 1, o)) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            }
        }
    }
    for (int i = 0; i < 2; i++) {
        flush_lines(&bufs[i], i + 1, o, true);
        free(bufs[i].buf);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    /* Grandchildren that kept no pipe open would outlive us: end the group. */
    kill(-pid, SIGKILL);
    out->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    out->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return NULL;
}
