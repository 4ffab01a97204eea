/* Subprocesses: lines, exit codes, and timeouts and cancellation that leave
 * no process of the group behind. */
#include "check.h"

#include "core/mem.h"
#include "core/subprocess.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
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

/* True when no live (non-zombie) process is left in the group; orphans are
 * reaped by init on its own schedule, so zombies do not count. */
static bool group_gone(pid_t pgid) {
    for (int attempt = 0; attempt < 100; attempt++) {
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
            if (close && sscanf(close + 2, "%c %d %d", &state, &ppid, &pg) == 3 && pg == pgid && state != 'Z')
                alive = true;
        }
        if (d) closedir(d);
        if (!alive) return true;
        usleep(20 * 1000);
    }
    return false;
}

/* The child writes its process group id first, so the test can check the group afterwards. */
static void on_pgid(void *user, int stream, const char *line, size_t len) {
    (void)stream;
    (void)len;
    pid_t *pg = user;
    if (!*pg) *pg = (pid_t)atol(line);
}

static void test_timeout(void) {
    pid_t pgid = 0;
    const char *argv[] = {"sh", "-c", "echo $$; sleep 100 & sleep 100", NULL};
    pf_subprocess_opts o = {.argv = argv, .timeout_ms = 200, .grace_ms = 200, .on_line = on_pgid, .user = &pgid};
    pf_subprocess_result r;
    CHECK(pf_subprocess_run(&o, &r) == NULL);
    CHECK(r.timed_out);
    CHECK(r.term_signal != 0);
    CHECK(pgid > 0);
    CHECK(pgid > 0 && group_gone(pgid));
}

static void *cancel_later(void *arg) {
    usleep(200 * 1000);
    atomic_store((atomic_bool *)arg, true);
    return NULL;
}

static void test_cancel(void) {
    atomic_bool cancel = false;
    pid_t pgid = 0;
    const char *argv[] = {"sh", "-c", "echo $$; trap '' TERM; sleep 100 & sleep 100", NULL};
    pf_subprocess_opts o = {.argv = argv, .cancel = &cancel, .grace_ms = 100, .on_line = on_pgid, .user = &pgid};
    pthread_t t;
    pthread_create(&t, NULL, cancel_later, &cancel);
    pf_subprocess_result r;
    CHECK(pf_subprocess_run(&o, &r) == NULL);
    pthread_join(t, NULL);
    CHECK(r.cancelled);
    CHECK(pgid > 0 && group_gone(pgid)); /* SIGTERM was ignored; SIGKILL ended it */
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

static void test_env(void) {
    capture c = {0};
    const char *argv[] = {"sh", "-c", "echo $PF_TEST_VALUE", NULL};
    const char *env[] = {"PF_TEST_VALUE=hello", NULL};
    pf_subprocess_opts o = {.argv = argv, .env = env, .on_line = on_line, .user = &c};
    pf_subprocess_result r;
    CHECK(pf_subprocess_run(&o, &r) == NULL);
    CHECK_STR(c.first, "hello");
    CHECK(getenv("PF_TEST_VALUE") == NULL);
}

int main(void) {
    test_lines();
    test_long_line();
    test_timeout();
    test_cancel();
    test_missing();
    test_env();
    return pf_check_done("core_subprocess");
}
