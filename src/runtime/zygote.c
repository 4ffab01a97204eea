#include "runtime/zygote.h"

#include "cad/cad_kernel.h"
#include "core/log.h"
#include "core/mem.h"
#include "runtime/isolate.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The server's request: the child's limits, with four descriptors passed
 * beside it: the job's own socket, then the child's stdin, stdout, stderr. */
typedef struct {
    uint64_t address_space; /* RLIMIT_AS in bytes; 0: none */
    int64_t cpu_seconds;    /* RLIMIT_CPU; <= 0: none */
    uint64_t file_bytes;    /* RLIMIT_FSIZE; 0: none */
} request;
#define N_FDS 4

/* The zygote's answers on the job's socket: the pid, then the wait status. */
enum { STARTED, ENDED };
typedef struct {
    int32_t kind;
    int32_t value;
} reply;

/* ------------------------------------------------------------ server side */

struct pf_zygote {
    char *program;
    pthread_mutex_t lock; /* over child, sock and generation while one is (re)started */
    pf_child *child;
    int sock;
    unsigned generation; /* counts restarts, so two jobs that saw one zygote die restart it once */
    /* sock keeps its number for the handle's life (see start_locked). */
    long answer_ms; /* how long a job waits for a live zygote's answer; 0: as long as it lives */
};

/* A zygote that cannot answer whatever happens: gone, a zombie, or stopped
 * (SIGSTOP, a debugger). Its state says so; no clock is needed. */
static bool cannot_answer(pid_t pid) {
    char state = pf_proc_state(pid, NULL);
    return state == 0 || state == 'Z' || state == 'X' || state == 'T' || state == 't';
}

static pf_error *start_locked(pf_zygote *z) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return pf_error_new(PF_EIO, "", "cannot make the module zygote's socket: %s", strerror(errno));
    const char *argv[] = {z->program, "module-zygote", NULL};
    pf_subprocess_opts o = {.argv = argv};
    pf_error *err = pf_child_spawn_on(&o, sv[1], &z->child);
    close(sv[1]);
    if (err) {
        close(sv[0]);
        z->child = NULL;
        return err;
    }
    if (z->sock < 0) {
        z->sock = sv[0];
    } else {
        /* The same descriptor number, now the new zygote's: a job sending
         * on it at this moment reaches the new one, never an unrelated file
         * that took a closed number. */
        dup3(sv[0], z->sock, O_CLOEXEC);
        close(sv[0]);
    }
    return NULL;
}

/* Whether the zygote has ended or is ending: its end of the socket is
 * closed (that comes first), or the process is a zombie or was reaped. */
static bool ended_locked(const pf_zygote *z) {
    struct pollfd p = {.fd = z->sock, .events = POLLOUT};
    if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR))) return true;
    siginfo_t si = {0};
    if (waitid(P_PID, pf_child_pid(z->child), &si, WEXITED | WNOHANG | WNOWAIT) != 0) return true;
    return si.si_pid != 0;
}

/* Waits for the zygote to end and reaps it; its children die with it.
 * kill_it: it is stuck, kill it now. Else it ends by itself once it reads
 * the end of its socket, or is dead already; one that cannot (stopped) or
 * does not (hung, when answer_ms is set) is killed, so nobody waits for
 * ever. The socket is left alone (see start_locked). */
static void end_locked(pf_zygote *z, bool kill_it) {
    if (!z->child) return;
    pid_t pid = pf_child_pid(z->child);
    if (kill_it) kill(pid, SIGKILL);
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    long waited = 0;
    for (;;) {
        siginfo_t si = {0};
        if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid != 0) break;
        bool hung = z->answer_ms > 0 && waited >= z->answer_ms;
        if (cannot_answer(pid) || hung || pidfd < 0) kill(pid, SIGKILL);
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        if (pidfd < 0 || poll(&p, 1, 50) == 0) waited += 50; /* readable once it ended */
    }
    if (pidfd >= 0) close(pidfd);
    pf_child_finish(z->child, 0, NULL, NULL, NULL); /* reaps it */
    z->child = NULL;
}

static void stop_locked(pf_zygote *z) {
    if (z->sock >= 0) close(z->sock);
    z->sock = -1;
    end_locked(z, false);
}

pf_zygote *pf_zygote_new(const char *program) {
    pf_zygote *z = pf_xcalloc(1, sizeof *z);
    z->program = pf_strdup(program);
    z->sock = -1;
    const char *wait = getenv("PRODFLOW_ZYGOTE_WAIT_S");
    char *end = NULL;
    double s = wait && *wait ? strtod(wait, &end) : 0;
    z->answer_ms = end && !*end && s > 0 ? (long)(s * 1000) : 0;
    pthread_mutex_init(&z->lock, NULL);
    return z;
}

void pf_zygote_stop(pf_zygote *z) {
    if (!z) return;
    stop_locked(z);
    pthread_mutex_destroy(&z->lock);
    free(z->program);
    free(z);
}

pid_t pf_zygote_pid(pf_zygote *z) {
    pthread_mutex_lock(&z->lock);
    pid_t pid = z->child ? pf_child_pid(z->child) : 0;
    pthread_mutex_unlock(&z->lock);
    return pid;
}

/* What reap_from_zygote needs: the job's socket, the zygote, the child. */
typedef struct {
    int fd;
    pid_t zygote, child;
} adopted;

/* The adopted child's end, from the zygote; the job's socket is closed.
 * A zygote that cannot answer (stopped) leaves its ended child a zombie,
 * whose status /proc still tells; one that died took the child with it,
 * and nobody can tell how that ended. */
static bool reap_from_zygote(void *user, int *status) {
    adopted *a = user;
    reply r;
    ssize_t n = -1;
    bool known = false;
    for (;;) {
        struct pollfd p = {.fd = a->fd, .events = POLLIN};
        int ready = poll(&p, 1, 50);
        if (ready > 0) {
            while ((n = recv(a->fd, &r, sizeof r, 0)) < 0 && errno == EINTR)
                ;
            known = n == (ssize_t)sizeof r && r.kind == ENDED;
            if (known) *status = r.value;
            break;
        }
        if (ready < 0 && errno != EINTR) break;
        if (ready == 0 && cannot_answer(a->zygote) && pf_proc_state(a->child, status) == 'Z') {
            known = true;
            break;
        }
    }
    close(a->fd);
    free(a);
    return known;
}

static void close_fds(const int *fds, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (fds[i] >= 0) close(fds[i]);
}

/* How a request that got no child went: no answer (the zygote could not
 * fork, or it died: ended_locked tells which), or none could come. */
typedef enum { TAKEN, UNANSWERED, STUCK } outcome;

/* One request on sock to the zygote zygote; an error when it did not take
 * it, *how says why. It is waited for while it may still answer: alive and
 * not stopped, for at most answer_ms when that is set. */
static pf_error *request_child(int sock, pid_t zygote, long answer_ms, const pf_limits *limits,
                               const atomic_bool *cancel, pf_child **out, outcome *how) {
    *how = TAKEN;
    /* job socket, stdin, stdout, stderr: ours at [2k], the child's at [2k+1] */
    int p[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
    bool ok = socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) == 0;
    int in[2], o[2], e[2];
    ok = ok && pipe2(in, O_CLOEXEC) == 0 && (p[2] = in[1], p[3] = in[0], true);
    ok = ok && pipe2(o, O_CLOEXEC) == 0 && (p[4] = o[0], p[5] = o[1], true);
    ok = ok && pipe2(e, O_CLOEXEC) == 0 && (p[6] = e[0], p[7] = e[1], true);
    if (!ok) {
        pf_error *err = pf_error_new(PF_EIO, "", "cannot make a module child's pipes: %s", strerror(errno));
        close_fds(p, 8);
        return err;
    }
    request req = {.address_space = limits->memory_bytes && limits->address_space
                                        ? limits->memory_bytes + PF_ADDRESS_SPACE_SLACK
                                        : 0,
                   .cpu_seconds = limits->cpu_seconds,
                   .file_bytes = limits->file_bytes};
    int theirs[N_FDS] = {p[1], p[3], p[5], p[7]};
    union {
        char buf[CMSG_SPACE(sizeof theirs)];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct iovec iov = {.iov_base = &req, .iov_len = sizeof req};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof theirs);
    memcpy(CMSG_DATA(c), theirs, sizeof theirs);
    ssize_t sent;
    while ((sent = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    close_fds(theirs, N_FDS); /* the zygote has its own copies now */
    reply r = {0};
    ssize_t got = -1;
    bool cancelled = false, stuck = false, hung = false;
    long waited = 0;
    while (sent == (ssize_t)sizeof req && !(cancelled = cancel && atomic_load(cancel))) {
        /* The first job waits while the zygote starts; a cancel need not,
         * nor anyone for a zygote that cannot answer. */
        struct pollfd pfd = {.fd = p[0], .events = POLLIN};
        if (poll(&pfd, 1, 50) == 0) {
            waited += 50;
            if ((stuck = cannot_answer(zygote)) || (hung = answer_ms > 0 && waited >= answer_ms)) break;
            continue;
        }
        if ((got = recv(p[0], &r, sizeof r, 0)) >= 0 || errno != EINTR) break;
    }
    if (got != (ssize_t)sizeof r || r.kind != STARTED || r.value <= 0) {
        int send_errno = errno;
        int ours[] = {p[0], p[2], p[4], p[6]};
        close_fds(ours, 4); /* a child forked after a cancel reads no job and ends */
        if (cancelled) return pf_error_new(PF_ECANCELLED, "", "cancelled while the module zygote was starting");
        *how = stuck || hung ? STUCK : UNANSWERED;
        if (hung)
            return pf_error_new(PF_EUNAVAILABLE, "",
                                "the module zygote (process %d) did not answer within %.1f s (PRODFLOW_ZYGOTE_WAIT_S)",
                                (int)zygote, (double)answer_ms / 1000);
        if (stuck && pf_proc_state(zygote, NULL) != 'Z' && pf_proc_state(zygote, NULL) != 0)
            return pf_error_new(PF_EUNAVAILABLE, "", "the module zygote (process %d) is stopped and cannot answer",
                                (int)zygote);
        return pf_error_new(PF_EUNAVAILABLE, "", "the module zygote did not start a child (%s)",
                            sent < 0 ? strerror(send_errno) : "it ended");
    }
    adopted *a = pf_xmalloc(sizeof *a);
    *a = (adopted){.fd = p[0], .zygote = zygote, .child = (pid_t)r.value};
    return pf_child_adopt((pid_t)r.value, p[2], p[4], p[6], limits->memory_bytes, reap_from_zygote, a, out);
}

pf_error *pf_zygote_fork(pf_zygote *z, const pf_limits *limits, const atomic_bool *cancel, pf_child **out) {
    pthread_mutex_lock(&z->lock);
    pf_error *err = z->child ? NULL : start_locked(z); /* the first job starts it */
    int sock = z->sock;
    pid_t pid = z->child ? pf_child_pid(z->child) : 0;
    unsigned generation = z->generation;
    pthread_mutex_unlock(&z->lock);
    if (err) return err;
    outcome how;
    err = request_child(sock, pid, z->answer_ms, limits, cancel, out, &how);
    if (!err || err->code != PF_EUNAVAILABLE) return err;
    /* Alive, it could not fork: spawn this one. Died (killed, or out of
     * memory itself), stopped or hung: kill what is left, start another, once. */
    pthread_mutex_lock(&z->lock);
    if (z->generation == generation && z->child && how == UNANSWERED && !ended_locked(z)) {
        pthread_mutex_unlock(&z->lock);
        return err;
    }
    pf_error *restart = NULL;
    if (z->generation == generation) {
        pf_log(PF_LOG_WARN, "zygote_restart", "%s; starting another", err->message);
        end_locked(z, how == STUCK);
        z->generation++;
        restart = start_locked(z);
    }
    sock = z->sock;
    pid = z->child ? pf_child_pid(z->child) : 0;
    pthread_mutex_unlock(&z->lock);
    pf_error_free(err);
    return restart ? restart : request_child(sock, pid, z->answer_ms, limits, cancel, out, &how);
}

/* ------------------------------------------------------------ zygote side */

typedef struct {
    pid_t pid;
    int fd; /* the job's socket */
} job;

typedef struct {
    job *jobs;
    size_t n, cap;
} job_table;

static void send_reply(int fd, int kind, int value) {
    reply r = {.kind = kind, .value = value};
    while (send(fd, &r, sizeof r, MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
}

/* Tells each ended child's server how it ended. */
static void reap_children(job_table *t) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        for (size_t i = 0; i < t->n; i++) {
            if (t->jobs[i].pid != pid) continue;
            send_reply(t->jobs[i].fd, ENDED, status);
            close(t->jobs[i].fd);
            t->jobs[i] = t->jobs[--t->n];
            break;
        }
}

/* The forked child: its own group, the zygote's death its own, no blocked
 * signals, the job's stdio and limits, then the job. Never returns. */
static void run_child(const pf_registry *reg, pid_t zygote, const request *req, const int *fds) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != zygote) _exit(127); /* it died before the line above */
    /* top and ps -o comm tell it from its zygote (its command line is the zygote's). */
    prctl(PR_SET_NAME, "module-child");
    /* SIGCHLD was blocked for the zygote's signalfd. SIGPIPE stays ignored,
     * as main() leaves it in a spawned module-child. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int i = 0; i < 3; i++)
        if (dup2(fds[1 + i], i) < 0) _exit(127);
    closefrom(3); /* the zygote's socket, other jobs' sockets */
    if (req->address_space) {
        struct rlimit as = {.rlim_cur = req->address_space, .rlim_max = req->address_space};
        if (setrlimit(RLIMIT_AS, &as) != 0) _exit(127);
    }
    if (req->cpu_seconds > 0) {
        /* SIGXCPU at the soft limit; the hard one stays (see pf_child_limit_cpu). */
        struct rlimit cpu = {.rlim_cur = (rlim_t)req->cpu_seconds, .rlim_max = RLIM_INFINITY};
        if (setrlimit(RLIMIT_CPU, &cpu) != 0) _exit(127);
    }
    if (req->file_bytes) {
        /* SIGXFSZ, which ends it, at the first write past the bound. */
        struct rlimit fsize = {.rlim_cur = req->file_bytes, .rlim_max = req->file_bytes};
        if (setrlimit(RLIMIT_FSIZE, &fsize) != 0) _exit(127);
    }
    int rc = pf_isolate_serve(reg, stdin, stdout);
    fflush(stdout);
    fflush(stderr);
    /* _exit: the zygote's atexit handlers and buffers are not the child's to run. */
    _exit(rc);
}

/* Takes one request; false once the server closed the socket. */
static bool take_request(const pf_registry *reg, int sock, job_table *t) {
    request req;
    union {
        char buf[CMSG_SPACE(N_FDS * sizeof(int))];
        struct cmsghdr align;
    } control;
    struct iovec iov = {.iov_base = &req, .iov_len = sizeof req};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
    ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) return errno == EINTR || errno == EAGAIN;
    if (n == 0) return false;
    int fds[N_FDS] = {-1, -1, -1, -1};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        size_t got = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        memcpy(fds, CMSG_DATA(c), (got < N_FDS ? got : N_FDS) * sizeof(int));
    }
    bool whole = n == (ssize_t)sizeof req && !(msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC));
    for (int i = 0; i < N_FDS; i++)
        whole = whole && fds[i] >= 0;
    pid_t self = getpid();
    pid_t pid = whole ? fork() : -1;
    if (pid == 0) run_child(reg, self, &req, fds);
    if (pid > 0) {
        setpgid(pid, pid); /* before the server may signal the group */
        /* The child's stdio is the child's alone before the server hears
         * of it: a zygote stopped after its answer must not hold the
         * child's output open, or the server would never see its end. */
        close_fds(fds + 1, N_FDS - 1);
        fds[1] = fds[2] = fds[3] = -1;
        send_reply(fds[0], STARTED, (int)pid);
        if (t->n == t->cap) t->jobs = pf_xrealloc(t->jobs, (t->cap = t->cap ? t->cap * 2 : 8) * sizeof *t->jobs);
        t->jobs[t->n++] = (job){.pid = pid, .fd = fds[0]};
        fds[0] = -1;
    } else if (whole) {
        pf_log(PF_LOG_ERROR, "zygote_fork", "cannot fork a module child: %s", strerror(errno));
    }
    close_fds(fds, N_FDS); /* closing the job's socket unanswered tells the server to spawn it itself */
    return true;
}

/* Whether a module that runs in a child uses the CAD kernel (the cad queue's do). */
static bool has_cad_children(const pf_registry *reg) {
    for (size_t i = 0; i < reg->n_modules; i++) {
        const pf_module *m = &reg->modules[i];
        if (m->execution == PF_EXEC_PROCESS && !m->desc->isolates_itself && strcmp(m->queue, "cad") == 0) return true;
    }
    return false;
}

int pf_zygote_serve(const pf_registry *reg, int sock) {
    /* OCCT is loaded here once, so a CAD child forked afterwards has it
     * (its pages shared with the zygote until written), but only when no
     * request is waiting: the job that started the zygote is answered
     * first, and only this process ever waits for the load (40-60 ms, a
     * few hundred under the sanitisers and load); the server's threads
     * that renew leases or answer requests never talk to the zygote. A
     * CAD child forked before it loads the kernel itself. */
    bool occt_pending = has_cad_children(reg);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        pf_log(PF_LOG_ERROR, "zygote", "cannot watch for children: %s", strerror(errno));
        return 1;
    }
    job_table t = {0};
    for (bool serving = true; serving;) {
        struct pollfd fds[2] = {{.fd = sock, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
        int ready = poll(fds, 2, occt_pending ? 0 : -1);
        if (ready < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (ready == 0) { /* nothing to answer: the time to load OCCT */
            occt_pending = false;
            if (pf_cad_load() != PF_CAD_OK)
                pf_log(PF_LOG_WARN, "zygote_cad", "CAD children will load the kernel themselves: %s",
                       pf_cad_last_error());
            continue;
        }
        if (fds[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) > 0)
                ;
            reap_children(&t);
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) serving = take_request(reg, sock, &t);
    }
    /* The server is gone: so are the children still running (PR_SET_PDEATHSIG). */
    for (size_t i = 0; i < t.n; i++)
        close(t.jobs[i].fd);
    free(t.jobs);
    close(sfd);
    return 0;
}
