/* Subprocesses: lines, exit codes, and timeouts and cancellation that leave
 * no process of the group behind. */
#include "check.h"

#include "core/mem.h"
#include "core/subprocess.h"
#include "support/tmpdir.h"

#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    int lines[3];
    size_t longest;
    char first[64];
} capture;

static void on_line(void *user, int stream, const char *line, size_t len) {
    capture *c = user;
    if (!c->lines[1] && !c->lines[2]) snprintf(c->first, sizeof c->first, "%.*s", (int)(len < 63 ? len : 63), line);
    c->lines[stream]++;
    if (len > c->longest) c->longest = len;
}

static void test_lines(void) {
    capture c = {0};
    const char *argv[] = {"sh", "-c", "echo one; echo two >&2; printf 'three\\nfour'; exit 3", NULL};
    pf_subprocess_opts o = {.argv = argv, .on_line = on_line, .user = &c};
    pf_subprocess_result r;
    pf_error *err = pf_subprocess_run(&o, &r);
    CHECK(err == NULL);
    CHECK_INT(r.exit_code, 3);
    CHECK_INT(c.lines[1], 3);
    CHECK_INT(c.lines[2], 1);
    CHECK_STR(c.first, "one");
    CHECK(!r.timed_out && !r.cancelled);
}

static void test_long_line(void) {
    capture c = {0};
    const char *argv[] = {"sh", "-c", "head -c 2000000 /dev/zero | tr '\\0' x; echo", NULL};
    pf_subprocess_opts o = {.argv = argv, .on_line = on_line, .user = &c};
    pf_subprocess_result r;
    CHECK(pf_subprocess_run(&o, &r) == NULL);
    CHECK_INT(c.longest, 2000000);
    CHECK_INT(c.lines[1], 1);
}

/* Whether a live (non-zombie) process is in the group; orphans are reaped
 * by init on its own schedule, so zombies do not count. */
static bool group_alive(pid_t pgid) {
    bool alive = false;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        char *close = strrchr(buf, ')');
        char state;
        int ppid, pg;
        if (close && sscanf(close + 2, "%c %d %d", &state, &ppid, &pg) == 3 && pg == pgid && state != 'Z') alive = true;
    }
    if (d) closedir(d);
    return alive;
}

/* Waits until the SIGKILLed group is gone: a state, however long the
 * kernel takes on a busy machine (CTest's timeout guards a hang). */
static bool group_gone(pid_t pgid) {
    while (group_alive(pgid))
        sched_yield();
    return true;
}

/* The child writes its process group id first, so the test can check the
 * group afterwards; with a cancel flag, the line also cancels the run, so
 * the cancel comes once the child is under way. */
typedef struct {
    pid_t pgid;
    atomic_bool *cancel;
} started;

static void on_pgid(void *user, int stream, const char *line, size_t len) {
    (void)stream;
    (void)len;
    started *s = user;
    if (s->pgid) return;
    s->pgid = (pid_t)atol(line);
    if (s->cancel) atomic_store(s->cancel, true);
}

static void test_timeout(void) {
    started s = {0};
    const char *argv[] = {"sh", "-c", "echo $$; sleep 100 & sleep 100", NULL};
    pf_subprocess_opts o = {.argv = argv, .timeout_ms = 200, .grace_ms = 200, .on_line = on_pgid, .user = &s};
    pf_subprocess_result r;
    CHECK(pf_subprocess_run(&o, &r) == NULL);
    CHECK(r.timed_out);
    CHECK(r.term_signal != 0);
    CHECK(s.pgid > 0);
    CHECK(s.pgid > 0 && group_gone(s.pgid));
}

static void test_cancel(void) {
    atomic_bool cancel = false;
    started s = {.cancel = &cancel};
    /* The trap is set before the pid is printed, so SIGTERM finds it ignored. */
    const char *argv[] = {"sh", "-c", "trap '' TERM; echo $$; sleep 100 & sleep 100", NULL};
    pf_subprocess_opts o = {.argv = argv, .cancel = &cancel, .grace_ms = 100, .on_line = on_pgid, .user = &s};
    pf_subprocess_result r;
    CHECK(pf_subprocess_run(&o, &r) == NULL);
    CHECK(r.cancelled);
    CHECK(s.pgid > 0 && group_gone(s.pgid)); /* SIGTERM was ignored; SIGKILL ended it */
}

static void test_missing(void) {
    const char *argv[] = {"prodflow-no-such-program", NULL};
    pf_subprocess_opts o = {.argv = argv};
    pf_subprocess_result r;
    pf_error *err = pf_subprocess_run(&o, &r);
    CHECK(err && err->code == PF_ENOTFOUND && strstr(err->message, "prodflow-no-such-program"));
    pf_error_free(err);
    const char *argv2[] = {"true", NULL};
    pf_subprocess_opts o2 = {.argv = argv2, .cwd = "/nonexistent-dir"};
    err = pf_subprocess_run(&o2, &r);
    CHECK(err != NULL);
    pf_error_free(err);
}

typedef struct {
    char lines[8][256];
    int n;
} all_lines;

static void keep_line(void *user, int stream, const char *line, size_t len) {
    all_lines *a = user;
    if (stream != 1 || a->n == 8) return;
    snprintf(a->lines[a->n++], sizeof a->lines[0], "%.*s", (int)(len < 255 ? len : 255), line);
}

/* A child sees the environment built for it, never the server's: the
 * system's directories first on PATH whatever the server's PATH says,
 * none of the server's other variables, and the entries it was given. */
static void test_env(void) {
    setenv("PF_TEST_SECRET", "s3cret", 1);
    setenv("PYTHONPATH", "/somewhere/else", 1);
    char *saved = pf_strdup(getenv("PATH"));
    char *foreign = pf_asprintf("/opt/foreign-python/bin:%s", saved);
    setenv("PATH", foreign, 1);
    all_lines a = {0};
    const char *argv[] = {"sh", "-c",
                          "echo \"$PATH\"; echo \"secret=$PF_TEST_SECRET\"; echo \"pp=$PYTHONPATH\"; "
                          "echo \"value=$PF_TEST_VALUE\"; echo \"home=$HOME\"",
                          NULL};
    const char *env[] = {"PF_TEST_VALUE=hello", NULL};
    pf_subprocess_opts o = {.argv = argv, .env = env, .on_line = keep_line, .user = &a};
    pf_subprocess_result r;
    CHECK(pf_subprocess_run(&o, &r) == NULL);
    CHECK_INT(a.n, 5);
    CHECK_MSG(strncmp(a.lines[0], "/usr/bin:", 9) == 0, "PATH is %s", a.lines[0]);
    CHECK(strstr(a.lines[0], "foreign") == NULL);
    CHECK_STR(a.lines[1], "secret=");
    CHECK_STR(a.lines[2], "pp=");
    CHECK_STR(a.lines[3], "value=hello");
    CHECK(getenv("HOME") == NULL || strcmp(a.lines[4] + 5, getenv("HOME")) == 0);
    CHECK(getenv("PF_TEST_VALUE") == NULL);
    setenv("PATH", saved, 1);
    unsetenv("PF_TEST_SECRET");
    unsetenv("PYTHONPATH");
    free(saved);
    free(foreign);

    /* An extra entry replaces the base one of the same name. */
    char **built = pf_child_env((const char *const[]){"PATH=/only/here", "A=1", NULL});
    int paths = 0;
    for (char **e = built; *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0) {
            paths++;
            CHECK_STR(*e, "PATH=/only/here");
        }
    CHECK_INT(paths, 1);
    pf_child_env_free(built);
}

/* The watchdog kills a child whose resident memory grows past its limit,
 * in any build (this test binary may be sanitised; the child is python). */
static void test_memory_watchdog(void) {
    const char *argv[] = {"python3", "-c", "chunks = []\nwhile True: chunks.append(b'x' * 10**7)", NULL};
    pf_subprocess_opts o = {.argv = argv, .limits = {.memory_bytes = 64ULL << 20}};
    pf_subprocess_result r;
    CHECK(pf_subprocess_run(&o, &r) == NULL);
    CHECK(r.memory_exceeded);
    CHECK_INT(r.term_signal, SIGKILL);
    CHECK_MSG(r.peak_rss > (64ULL << 20), "peak %llu", r.peak_rss);
}

/* With address_space the kernel refuses the allocation itself, before the
 * watchdog could see it: python gets a MemoryError. */
static void test_address_space(void) {
    all_lines a = {0};
    const char *argv[] = {"python3", "-c",
                          "try:\n    b = b'x' * (3 * 2**30)\nexcept MemoryError:\n    print('refused')\n", NULL};
    pf_subprocess_opts o = {
        .argv = argv, .limits = {.memory_bytes = 64ULL << 20, .address_space = true}, .on_line = keep_line, .user = &a};
    pf_subprocess_result r;
    CHECK(pf_subprocess_run(&o, &r) == NULL);
    CHECK_INT(r.exit_code, 0);
    CHECK_STR(a.lines[0], "refused");
    CHECK(!r.memory_exceeded);
}

/* RLIMIT_CPU ends a child that spins past its CPU time with SIGXCPU. */
static void test_cpu_limit(void) {
    const char *argv[] = {"sh", "-c", "while :; do :; done", NULL};
    pf_subprocess_opts o = {.argv = argv, .limits = {.cpu_seconds = 1}};
    pf_subprocess_result r;
    CHECK(pf_subprocess_run(&o, &r) == NULL);
    CHECK(r.cpu_exceeded);
    CHECK_INT(r.term_signal, SIGXCPU);
}

/* A long-lived child gets its CPU budget per job, counted from when it is
 * set: here, after the child has used some CPU, a budget of 1 s still
 * lets it work before SIGXCPU ends it. */
static void test_cpu_limit_per_job(void) {
    const char *argv[] = {"sh", "-c", "read line; while :; do :; done", NULL};
    pf_subprocess_opts o = {.argv = argv};
    pf_child *c = NULL;
    CHECK(pf_child_spawn(&o, true, &c) == NULL);
    if (!c) return;
    CHECK(pf_child_limit_cpu(c, 1) == NULL);
    CHECK(pf_child_write(c, "go\n", 3));
    pf_subprocess_result r;
    CHECK_INT(pf_child_pump(c, NULL, NULL, NULL, 0, NULL), PF_PUMP_EXITED);
    pf_child_finish(c, 0, NULL, NULL, &r);
    CHECK(r.cpu_exceeded);
}

/* file_bytes is RLIMIT_FSIZE: a child writing past it ends with SIGXFSZ,
 * its file no larger than the bound. The child waits for its go until the
 * limit is set. */
static void test_file_limit(void) {
    char *dir = pf_test_tmpdir("fsize");
    char *file = pf_asprintf("%s/scratch", dir);
    const char *argv[] = {"sh", "-c", "read line; exec head -c 1000000 /dev/zero > \"$0\"", file, NULL};
    pf_subprocess_opts o = {.argv = argv, .limits = {.file_bytes = 65536}};
    pf_child *c = NULL;
    CHECK(pf_child_spawn(&o, true, &c) == NULL);
    if (c) {
        pf_subprocess_result r;
        pf_child_run(c, &(pf_subprocess_opts){.input = "go\n", .input_len = 3}, &r);
        CHECK(r.file_exceeded);
        CHECK_INT(r.term_signal, SIGXFSZ);
        struct stat st;
        CHECK(stat(file, &st) == 0 && st.st_size <= 65536);
    }
    free(file);
    free(dir);
}

/* pf_proc_state: stopped is T; ended and not yet reaped, a zombie whose
 * wait status /proc gives; reaped, gone. Every wait is on the state. */
static void test_proc_state(void) {
    const char *argv[] = {"sh", "-c", "read line; exit 3", NULL};
    pf_subprocess_opts o = {.argv = argv};
    pf_child *c = NULL;
    CHECK(pf_child_spawn(&o, true, &c) == NULL);
    if (!c) return;
    pid_t pid = pf_child_pid(c);
    CHECK(kill(pid, SIGSTOP) == 0);
    while (pf_proc_state(pid, NULL) != 'T')
        ;
    CHECK(kill(pid, SIGCONT) == 0);
    CHECK(pf_child_write(c, "go\n", 3));
    CHECK_INT(pf_child_pump(c, NULL, NULL, NULL, 0, NULL), PF_PUMP_EXITED);
    int status = 0;
    char state;
    while ((state = pf_proc_state(pid, &status)) != 'Z' && state != 0)
        ;
    CHECK_INT(state, 'Z');
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);
    pf_subprocess_result r;
    pf_child_finish(c, 0, NULL, NULL, &r);
    CHECK_INT(r.exit_code, 3);
    CHECK_INT(pf_proc_state(pid, NULL), 0);
}

/* A child holds its stdio and nothing else of the parent's, even a
 * descriptor opened without O_CLOEXEC as libraries open sockets. */
static void test_descriptors(void) {
    int leaky[2];
    CHECK(pipe(leaky) == 0);
    all_lines a = {0};
    char script[128];
    snprintf(script, sizeof script, "ls /proc/self/fd | wc -l; test -e /proc/self/fd/%d && echo open || echo closed",
             leaky[1]);
    const char *argv[] = {"sh", "-c", script, NULL};
    pf_subprocess_opts o = {.argv = argv, .on_line = keep_line, .user = &a};
    pf_subprocess_result r;
    CHECK(pf_subprocess_run(&o, &r) == NULL);
    CHECK_INT(r.exit_code, 0);
    CHECK_INT(a.n, 2);
    /* 0, 1, 2, and the directory ls reads (wc's pipe belongs to sh) */
    CHECK_MSG(atoi(a.lines[0]) <= 4, "the child had %s descriptors", a.lines[0]);
    CHECK_STR(a.lines[1], "closed");
    close(leaky[0]);
    close(leaky[1]);
}

int main(void) {
    test_lines();
    test_long_line();
    test_timeout();
    test_cancel();
    test_missing();
    test_env();
    test_descriptors();
    test_memory_watchdog();
    test_address_space();
    test_cpu_limit();
    test_cpu_limit_per_job();
    test_file_limit();
    test_proc_state();
    return pf_check_done("core_subprocess");
}
