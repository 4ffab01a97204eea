/* The kill -9 matrix (issue 12, "Measured"): a redis-server, `prodflow
 * serve --broker` with a webhook receiver, and two `prodflow worker`s, all
 * on 127.0.0.1. Each trial orders the cheapest turntable the output type
 * allows (16x16 px, 2 frames, 1 sample; a new seed per trial, so nothing
 * is a cache hit), dispatches it, waits a random time drawn from the
 * trial's seed (up to 1.2x the duration of an undisturbed, warm order),
 * kills -9 a worker (the one running a task at that moment, from the
 * workers' Celery events, when one is), starts it again, and waits for the
 * run. Counted, goal 0 each: runs lost (not delivered), double publishes
 * (more than one published asset for a line) and double notifies (more
 * than one webhook POST for a run). The children a killed worker leaves
 * behind (its Blender) are reparented here (this process is a child
 * subreaper), counted when still alive 5 s after the kill, and stopped by
 * PID.
 *
 * PF_KILL_TRIALS (default 20), PF_KILL_SEED (default 1), PF_KILL_SPAN
 * (the kill moments' range in order durations, default 1.2) and
 * PF_KILL_VISIBILITY (the workers' --visibility-timeout in seconds,
 * default 5: above their 2 s heartbeat) tune a run; PF_KILL_VERBOSE=1
 * lists each run's nodes. A bench, not a test: the kill moment is a time. */
#include "core/json.h"
#include "core/mem.h"
#include "support/redis.h"
#include "support/server.h"
#include "support/tmpdir.h"
#include "support/webhook.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N_WORKERS 2

typedef struct {
    pid_t pid;
    char name[32];
    char *work, *log;
} worker;

typedef struct {
    const pf_test_server *srv;
    const pf_test_redis *redis;
    char *token_file;
    char visibility[16];
    worker ws[N_WORKERS];
} cluster;

/* Which worker runs a task now, from the workers' own Celery events. */
static struct {
    pthread_mutex_t lock;
    bool busy[N_WORKERS];
    int port;
} events = {.lock = PTHREAD_MUTEX_INITIALIZER};

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_s(double s) {
    if (s <= 0) return;
    struct timespec t = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

static long env_long(const char *name, long def) {
    const char *v = getenv(name);
    return v && *v ? atol(v) : def;
}

/* splitmix64: each trial's draws come from its own seed. */
static unsigned long long next_random(unsigned long long *s) {
    unsigned long long z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double uniform(unsigned long long *s) { return (double)(next_random(s) >> 11) / 9007199254740992.0; }

static void *listen_events(void *arg) {
    (void)arg;
    redisContext *c = redisConnect("127.0.0.1", events.port);
    if (!c || c->err) return NULL;
    redisReply *r = redisCommand(c, "PSUBSCRIBE /0.celeryev/task.*");
    freeReplyObject(r);
    while (redisGetReply(c, (void **)&r) == REDIS_OK) {
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 4 && r->element[2]->str && r->element[3]->str) {
            const char *kind = strrchr(r->element[2]->str, '/');
            json_t *env = json_loads(r->element[3]->str, 0, NULL);
            const char *host = pf_json_str(json_object_get(env, "headers"), "hostname");
            int who = host && host[0] == 'w' && host[1] >= '1' && host[1] < '1' + N_WORKERS ? host[1] - '1' : -1;
            if (kind && who >= 0) {
                bool started = !strcmp(kind, "/task.received") || !strcmp(kind, "/task.started");
                bool ended =
                    !strcmp(kind, "/task.succeeded") || !strcmp(kind, "/task.failed") || !strcmp(kind, "/task.revoked");
                pthread_mutex_lock(&events.lock);
                if (started) events.busy[who] = true;
                if (ended) events.busy[who] = false;
                pthread_mutex_unlock(&events.lock);
            }
            json_decref(env);
        }
        freeReplyObject(r);
    }
    redisFree(c); /* Redis stopped: the bench is over */
    return NULL;
}

static void start_worker(cluster *cl, int i) {
    worker *w = &cl->ws[i];
    const char *argv[] = {PF_BIN,
                          "worker",
                          "--broker",
                          cl->redis->url,
                          "--server",
                          cl->srv->base,
                          "--token-file",
                          cl->token_file,
                          "--hostname",
                          w->name,
                          "--queues",
                          "cad,render,default",
                          "--concurrency",
                          "1",
                          "--work-dir",
                          w->work,
                          "--share-dir",
                          PF_SOURCE_DIR "/share",
                          "--visibility-timeout",
                          cl->visibility,
                          NULL};
    pthread_mutex_lock(&events.lock);
    events.busy[i] = false;
    pthread_mutex_unlock(&events.lock);
    w->pid = fork();
    if (w->pid == 0) {
        int fd = open(w->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) dup2(fd, 2);
        execv(PF_BIN, (char *const *)argv);
        _exit(127);
    }
}

static void stop_worker(worker *w) {
    if (w->pid <= 0) return;
    kill(w->pid, SIGTERM);
    waitpid(w->pid, NULL, 0);
    w->pid = 0;
}

static bool known(const cluster *cl, pid_t pid) {
    if (pid == cl->srv->pid || pid == cl->redis->pid) return true;
    for (int i = 0; i < N_WORKERS; i++)
        if (cl->ws[i].pid == pid) return true;
    return false;
}

/* Processes reparented to this subreaper: what killed workers left. */
static size_t orphans(const cluster *cl, pid_t *out, size_t max) {
    DIR *d = opendir("/proc");
    if (!d) return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        pid_t pid = (pid_t)atol(e->d_name);
        if (pid <= 0 || known(cl, pid)) continue;
        char path[64], line[256];
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        pid_t ppid = 0;
        char state = '?';
        while (fgets(line, sizeof line, f)) {
            if (!strncmp(line, "State:", 6)) sscanf(line + 6, " %c", &state);
            if (!strncmp(line, "PPid:", 5)) ppid = (pid_t)atol(line + 5);
        }
        fclose(f);
        if (ppid != getpid()) continue;
        if (state == 'Z') { /* ended by itself: reap it */
            waitpid(pid, NULL, WNOHANG);
            continue;
        }
        out[n++] = pid;
    }
    closedir(d);
    return n;
}

static char *comm_of(pid_t pid) {
    char path[64], buf[64] = "?";
    snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(buf, sizeof buf, f)) strcpy(buf, "?");
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = '\0';
    return pf_strdup(buf);
}

static json_t *get(const pf_test_server *srv, const char *fmt, const char *arg) {
    char *path = pf_asprintf(fmt, arg);
    long status;
    json_t *doc = pf_http_json(srv, "GET", path, NULL, &status);
    free(path);
    return doc;
}

/* Orders and dispatches one turntable line; its run id (caller frees). */
static char *order(const pf_test_server *srv, const char *product, unsigned seed, char **line_id) {
    char *body = pf_asprintf("{\"customer\": \"kill-matrix\", \"lines\": [{\"product\": \"%s\", \"output_type\": "
                             "\"turntable_360\", \"overrides\": {\"width\": 16, \"height\": 16, \"samples\": 1, "
                             "\"frames\": 2, \"seed\": %u}}]}",
                             product, seed);
    long status;
    json_t *o = pf_http_json(srv, "POST", "/api/orders", body, &status);
    free(body);
    const char *line = pf_json_str(json_array_get(json_object_get(o, "lines"), 0), "id");
    if (status / 100 != 2 || !line) {
        fprintf(stderr, "POST /api/orders: %ld\n", status);
        json_decref(o);
        return NULL;
    }
    *line_id = pf_strdup(line);
    json_decref(o);
    char *path = pf_asprintf("/api/order-lines/%s/dispatch", *line_id);
    json_t *d = pf_http_json(srv, "POST", path, NULL, &status);
    free(path);
    char *run = pf_json_str(d, "run_id") ? pf_strdup(pf_json_str(d, "run_id")) : NULL;
    if (!run) fprintf(stderr, "dispatch %s: %ld\n", *line_id, status);
    json_decref(d);
    return run;
}

/* The run's status once final, or "running" after timeout_s. */
static char *await_run(const pf_test_server *srv, const char *run, double timeout_s) {
    double end = now_s() + timeout_s;
    for (;;) {
        json_t *r = get(srv, "/api/runs/%s", run);
        const char *s = pf_json_str(r, "status");
        if ((s && strcmp(s, "running") != 0) || now_s() > end) {
            char *out = pf_strdup(s ? s : "unknown");
            json_decref(r);
            return out;
        }
        json_decref(r);
        sleep_s(0.1);
    }
}

static void describe_run(const pf_test_server *srv, const char *run) {
    json_t *r = get(srv, "/api/runs/%s", run);
    const char *node;
    json_t *n;
    json_object_foreach(json_object_get(r, "nodes"), node, n) {
        const json_t *log = json_object_get(json_object_get(n, "state"), "log");
        const char *last = pf_json_str(json_array_get(log, json_array_size(log) - 1), "message");
        const char *err = pf_json_str(json_object_get(n, "error"), "message");
        fprintf(stderr, "    %-10s %-10s %s%s%s\n", node, pf_json_str(n, "status") ? pf_json_str(n, "status") : "?",
                last ? last : "", err ? " error: " : "", err ? err : "");
    }
    json_decref(r);
}

static size_t assets_of_line(const json_t *assets, const char *line) {
    size_t n = 0, i;
    const json_t *a;
    json_array_foreach(assets, i, a) {
        const char *p = pf_json_str(a, "published_path");
        if (p && strstr(p, line)) n++;
    }
    return n;
}

static size_t notifies_of_run(pf_test_webhook *hook, const char *run) {
    json_t *all = pf_test_webhook_received(hook);
    size_t n = 0, i;
    json_t *entry;
    json_array_foreach(all, i, entry) {
        json_t *body = json_loads(pf_json_str(entry, "body"), 0, NULL);
        if (pf_json_str(body, "run_id") && strcmp(pf_json_str(body, "run_id"), run) == 0) n++;
        json_decref(body);
    }
    json_decref(all);
    return n;
}

/* The demo product, once its CAD intake (run on the workers) is done. */
static char *demo_product(const pf_test_server *srv) {
    for (int i = 0; i < 1200; i++) {
        json_t *list = get(srv, "/api/products%s", "");
        const char *id = pf_json_str(json_array_get(json_object_get(list, "products"), 0), "id");
        char *product = id ? pf_strdup(id) : NULL;
        json_decref(list);
        if (product) {
            json_t *p = get(srv, "/api/products/%s", product);
            const char *s = pf_json_str(json_object_get(p, "cad_intake"), "status");
            bool done = s && !strcmp(s, "succeeded"), failed = s && (!strcmp(s, "failed") || !strcmp(s, "cancelled"));
            json_decref(p);
            if (done) return product;
            if (failed) {
                fprintf(stderr, "the demo product's intake %s\n", s);
                free(product);
                return NULL;
            }
            free(product);
        }
        sleep_s(0.1);
    }
    return NULL;
}

typedef struct {
    char *line, *run, *status;
} trial;

int main(void) {
    long n_trials = env_long("PF_KILL_TRIALS", 20), seed = env_long("PF_KILL_SEED", 1);
    long visibility = env_long("PF_KILL_VISIBILITY", 5);
    double span = getenv("PF_KILL_SPAN") ? atof(getenv("PF_KILL_SPAN")) : 1.2;
    if (n_trials < 1) n_trials = 1;
    /* A killed worker's children come here, where they can be counted
     * and stopped by PID. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);

    pf_test_redis redis;
    if (pf_test_redis_start(&redis, NULL) != 0) {
        fprintf(stderr, "no redis-server\n");
        return 1;
    }
    pf_test_webhook *hook = pf_test_webhook_start();
    if (!hook) return 1;
    char allow[64], hook_url[80];
    snprintf(allow, sizeof allow, "http://127.0.0.1:%u", pf_test_webhook_port(hook));
    snprintf(hook_url, sizeof hook_url, "%s/orders", allow);
    pf_test_server srv;
    if (pf_test_server_start(&srv, (const char *const[]){"--broker", redis.url, "--webhook-allow", allow,
                                                         "--webhook-url", hook_url, NULL}) != 0) {
        fprintf(stderr, "the server did not start\n");
        return 1;
    }
    char *dir = pf_test_tmpdir("kill-matrix");
    cluster cl = {.srv = &srv, .redis = &redis, .token_file = pf_asprintf("%s/worker.token", dir)};
    snprintf(cl.visibility, sizeof cl.visibility, "%ld", visibility);
    char *token = pf_test_token(&srv, (const char *const[]){"worker", NULL});
    FILE *tf = fopen(cl.token_file, "w");
    if (!tf) return 1;
    fputs(token, tf);
    fclose(tf);
    free(token);
    events.port = redis.port;
    pthread_t listener;
    pthread_create(&listener, NULL, listen_events, NULL);
    pthread_detach(listener);
    for (int i = 0; i < N_WORKERS; i++) {
        snprintf(cl.ws[i].name, sizeof cl.ws[i].name, "w%d@bench", i + 1);
        cl.ws[i].work = pf_asprintf("%s/w%d", dir, i + 1);
        cl.ws[i].log = pf_asprintf("%s/w%d.log", dir, i + 1);
        start_worker(&cl, i);
    }

    double t_start = now_s();
    char *product = demo_product(&srv);
    if (!product) return 1;
    /* Calibration: undisturbed orders say how long an order takes; the
     * first also starts the workers' Blenders, so the last one counts. */
    char *cal = NULL, *cal_run = NULL, *cal_line = NULL;
    double order_s = 0;
    for (int i = 0; i < 3; i++) {
        free(cal);
        free(cal_run);
        free(cal_line);
        cal_line = NULL;
        cal_run = order(&srv, product, 1000000u + (unsigned)(seed * 10 + i), &cal_line);
        double t0 = now_s();
        cal = cal_run ? await_run(&srv, cal_run, 300) : NULL;
        order_s = now_s() - t0;
        if (!cal || strcmp(cal, "succeeded") != 0) {
            fprintf(stderr, "a calibration order did not succeed (%s)\n", cal ? cal : "no run");
            return 1;
        }
    }
    printf("calibration: an undisturbed turntable order (16x16, 2 frames, 1 sample) took %.2f s\n", order_s);
    fflush(stdout);

    trial *ts = calloc((size_t)n_trials, sizeof *ts);
    int mid_task = 0, other_busy = 0, idle = 0, after = 0, left_behind = 0, failed = 0;
    double t_trials = now_s();
    for (long k = 0; k < n_trials; k++) {
        unsigned long long rs = (unsigned long long)seed * 1000003ull + (unsigned long long)k;
        double delay = uniform(&rs) * span * order_s;
        trial *t = &ts[k];
        t->run = order(&srv, product, (unsigned)(seed * 1000 + k), &t->line);
        if (!t->run) {
            failed++;
            continue;
        }
        double dispatched = now_s();
        sleep_s(dispatched + delay - now_s());
        json_t *r = get(&srv, "/api/runs/%s", t->run);
        bool done = pf_json_str(r, "status") && strcmp(pf_json_str(r, "status"), "running") != 0;
        json_decref(r);
        pthread_mutex_lock(&events.lock);
        int victim = events.busy[0] ? 0 : events.busy[1] ? 1 : (int)(next_random(&rs) % N_WORKERS);
        bool victim_busy = events.busy[victim], other = events.busy[1 - victim];
        pthread_mutex_unlock(&events.lock);
        kill(cl.ws[victim].pid, SIGKILL);
        double killed_at = now_s();
        waitpid(cl.ws[victim].pid, NULL, 0);
        cl.ws[victim].pid = 0;
        const char *phase = victim_busy ? "mid-task"
                            : other     ? "the other worker busy"
                            : done      ? "after the run"
                                        : "idle";
        mid_task += victim_busy;
        other_busy += !victim_busy && other;
        after += !victim_busy && !other && done;
        idle += !victim_busy && !other && !done;
        start_worker(&cl, victim);
        t->status = await_run(&srv, t->run, 120 + 3.0 * (double)visibility);
        /* Whatever the killed worker left behind and is still alive 5 s
         * after the kill. */
        pid_t left[16];
        size_t n_left;
        while ((n_left = orphans(&cl, left, 16)) > 0 && now_s() < killed_at + 5.0)
            sleep_s(0.05);
        for (size_t i = 0; i < n_left; i++) {
            char *comm = comm_of(left[i]);
            fprintf(stderr, "trial %ld: pid %d (%s) outlived its killed worker by 5 s; stopping it\n", k + 1,
                    (int)left[i], comm);
            free(comm);
            kill(left[i], SIGKILL);
            waitpid(left[i], NULL, 0);
        }
        left_behind += (int)n_left;
        printf("trial %2ld: kill -9 %s at %.2f s (%s): run %s in %.2f s\n", k + 1, cl.ws[victim].name, delay, phase,
               t->status, now_s() - dispatched);
        fflush(stdout);
        if (getenv("PF_KILL_VERBOSE") || strcmp(t->status, "succeeded") != 0) {
            fprintf(stderr, "trial %ld: run %s of line %s is %s; its nodes:\n", k + 1, t->run, t->line, t->status);
            describe_run(&srv, t->run);
        }
    }
    double trials_s = now_s() - t_trials;

    /* The tally, once every trial is over, so a late duplicate counts too. */
    sleep_s(1.0);
    long st;
    json_t *assets = pf_http_json(&srv, "GET", "/api/assets", NULL, &st);
    int lost = failed, double_publish = 0, double_notify = 0;
    for (long k = 0; k < n_trials; k++) {
        trial *t = &ts[k];
        if (!t->run) continue;
        json_t *line = get(&srv, "/api/order-lines/%s", t->line);
        const char *ls = pf_json_str(line, "status");
        bool delivered = ls && !strcmp(ls, "delivered");
        size_t published = assets_of_line(json_object_get(assets, "assets"), t->line);
        size_t notified = notifies_of_run(hook, t->run);
        if (!delivered || published == 0) {
            lost++;
            fprintf(stderr, "trial %ld: line %s is %s with %zu published assets (run %s)\n", k + 1, t->line,
                    ls ? ls : "?", published, t->run);
        }
        if (published > 1) {
            double_publish++;
            fprintf(stderr, "trial %ld: line %s has %zu published assets\n", k + 1, t->line, published);
        }
        if (notified > 1) {
            double_notify++;
            fprintf(stderr, "trial %ld: run %s notified %zu times\n", k + 1, t->run, notified);
        }
        json_decref(line);
    }
    json_decref(assets);

    printf(
        "kill matrix: %ld trials, %d runs lost, %d double publishes, %d double notifies (goal 0 each); "
        "kills: %d mid-task, %d of the idle worker while the other ran a task, %d with no task running, %d "
        "after the run; %d processes outlived their killed worker by 5 s; trials %.1f s (%.1f s each), %.1f s in all\n",
        n_trials, lost, double_publish, double_notify, mid_task, other_busy, idle, after, left_behind, trials_s,
        trials_s / (double)n_trials, now_s() - t_start);

    for (int i = 0; i < N_WORKERS; i++)
        stop_worker(&cl.ws[i]);
    pid_t left[16];
    size_t n_left = orphans(&cl, left, 16);
    for (size_t i = 0; i < n_left; i++) {
        kill(left[i], SIGKILL);
        waitpid(left[i], NULL, 0);
    }
    char *srv_dir = pf_strdup(srv.data_dir);
    pf_test_server_stop(&srv);
    pf_test_redis_stop(&redis);
    pf_test_webhook_stop(hook);
    if (lost || double_publish || double_notify) {
        fprintf(stderr, "worker logs kept in %s, the server's data in %s\n", dir, srv_dir);
    } else {
        char *rm = pf_asprintf("rm -rf '%s' '%s'", dir, srv_dir);
        if (system(rm) != 0) fprintf(stderr, "could not remove %s and %s\n", dir, srv_dir);
        free(rm);
    }
    free(srv_dir);
    for (long k = 0; k < n_trials; k++) {
        free(ts[k].line);
        free(ts[k].run);
        free(ts[k].status);
    }
    free(ts);
    for (int i = 0; i < N_WORKERS; i++) {
        free(cl.ws[i].work);
        free(cl.ws[i].log);
    }
    free(cl.token_file);
    free(product);
    free(cal);
    free(cal_run);
    free(cal_line);
    free(dir);
    return 0;
}
