/* The Celery transport against a real redis-server and real Celery 5.2.6
 * peers (/usr/bin/python3, tests/celery/peer.py): a C worker in-process
 * serves Python clients, a C client drives a Python worker, the pidbox,
 * events, refusals, revoke, a killed worker process, a Redis restart and
 * AUTH. Every wait is on a state (a result, a file, a process, a PING). */
#include "check.h"

#include "core/log.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/subprocess.h"
#include "support/python_peer.h"
#include "support/redis.h"
#include "support/tmpdir.h"
#include "transport/celery_client.h"
#include "transport/celery_result.h"
#include "transport/celery_worker.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the test handler ---- */

typedef struct test_state {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    char started[64][64]; /* ids of test.block tasks that started */
    size_t nstarted;
    int saw_revoked;
    int once_runs;
    bool hold_once; /* the worker process of test (8): hold test.once until killed */
} test_state;

static test_state state = {.lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER};

static void pause_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static void touch(const char *path) {
    FILE *f = fopen(path, "a");
    if (f) fclose(f);
}

static void mark_started(const char *id) {
    pthread_mutex_lock(&state.lock);
    if (state.nstarted < 64) snprintf(state.started[state.nstarted++], 64, "%s", id);
    pthread_cond_broadcast(&state.changed);
    pthread_mutex_unlock(&state.lock);
}

static void wait_started(const char *id) {
    pthread_mutex_lock(&state.lock);
    for (;;) {
        bool found = false;
        for (size_t i = 0; i < state.nstarted; i++)
            found |= strcmp(state.started[i], id) == 0;
        if (found) break;
        pthread_cond_wait(&state.changed, &state.lock);
    }
    pthread_mutex_unlock(&state.lock);
}

/* test.block [flag]: runs until revoked or until the flag file appears. */
static pf_error *run_block(const pf_celery_task *task, const atomic_bool *revoked, json_t **result) {
    const char *flag = json_string_value(json_array_get(task->args, 0));
    mark_started(task->id);
    while (!atomic_load(revoked) && !(flag && file_exists(flag)))
        pause_ms(2); /* polling the two states the test controls */
    if (atomic_load(revoked)) {
        pthread_mutex_lock(&state.lock);
        state.saw_revoked++;
        pthread_mutex_unlock(&state.lock);
        return pf_error_new(PF_ECANCELLED, "", "revoked");
    }
    *result = json_string("released");
    return NULL;
}

/* test.once [effects file]: the effect is a line appended at the end. */
static pf_error *run_once(const pf_celery_task *task, json_t **result) {
    const char *effects = json_string_value(json_array_get(task->args, 0));
    if (state.hold_once) {
        char *started = pf_asprintf("%s.started", effects);
        touch(started);
        free(started);
        for (;;)
            pause(); /* until SIGKILL */
    }
    FILE *f = fopen(effects, "a");
    if (f) fprintf(f, "done %s\n", task->redelivered ? "redelivered" : "first"), fclose(f);
    pthread_mutex_lock(&state.lock);
    state.once_runs++;
    pthread_mutex_unlock(&state.lock);
    *result = json_integer(1);
    return NULL;
}

static pf_error *handler(void *user, const pf_celery_task *task, const atomic_bool *revoked, json_t **result) {
    (void)user;
    if (strcmp(task->name, "test.add") == 0) {
        json_int_t sum = 0;
        size_t i;
        json_t *v;
        json_array_foreach((json_t *)task->args, i, v) sum += json_integer_value(v);
        *result = json_integer(sum);
        return NULL;
    }
    if (strcmp(task->name, "test.fail") == 0) return pf_error_new(PF_EINVAL, "/args", "boom: test.fail always fails");
    if (strcmp(task->name, "test.block") == 0) return run_block(task, revoked, result);
    if (strcmp(task->name, "test.once") == 0) return run_once(task, result);
    return pf_error_new(PF_EINTERNAL, "", "accepts() let %s through", task->name);
}

static bool accepts(void *user, const char *name) {
    (void)user;
    return strncmp(name, "test.", 5) == 0 && strcmp(name, "test.no_such_task") != 0 && strcmp(name, "test.py_mul") != 0;
}

/* ---- a worker on a thread ---- */

typedef struct test_worker {
    pf_celery_worker_opts o;
    const char *queues[2];
    atomic_bool stop;
    pthread_t thread;
    pf_error *err;
} test_worker;

static void *worker_main(void *arg) {
    test_worker *t = arg;
    t->err = pf_celery_worker_run(&t->o);
    return NULL;
}

static void worker_start(test_worker *t, const char *url, const char *queue, const char *hostname, int concurrency,
                         long visibility_ms) {
    memset(t, 0, sizeof *t);
    t->queues[0] = queue;
    atomic_init(&t->stop, false);
    t->o = (pf_celery_worker_opts){.broker_url = url,
                                   .queues = t->queues,
                                   .concurrency = concurrency,
                                   .hostname = hostname,
                                   .visibility_timeout_ms = visibility_ms,
                                   .heartbeat_ms = 200,
                                   .handler = handler,
                                   .accepts = accepts,
                                   .stop = &t->stop};
    pthread_create(&t->thread, NULL, worker_main, t);
}

static void worker_stop(test_worker *t) {
    atomic_store(&t->stop, true);
    pthread_join(t->thread, NULL);
    CHECK_MSG(t->err == NULL, "worker: %s", t->err ? t->err->message : "");
    pf_error_free(t->err);
}

/* ---- Python peers: support/python_peer.h ---- */

/* ---- helpers on the C client ---- */

static json_t *await_ok(pf_celery_client *c, const char *id) {
    json_t *meta = NULL;
    pf_error *err = pf_celery_await(c, id, NULL, NULL, NULL, &meta);
    CHECK_MSG(err == NULL, "await %s: %s", id, err ? err->message : "");
    pf_error_free(err);
    return meta;
}

static const char *status_of(const json_t *meta) { return json_string_value(json_object_get(meta, "status")); }
static const char *exc_type_of(const json_t *meta) {
    return json_string_value(json_object_get(json_object_get(meta, "result"), "exc_type"));
}

static void send_task(pf_celery_client *c, const char *name, const char *id, json_t *args, const char *queue) {
    pf_celery_send_opts o = {.queue = queue};
    pf_error *err = pf_celery_send(c, name, id, args, NULL, &o);
    CHECK_MSG(err == NULL, "send %s: %s", id, err ? err->message : "");
    pf_error_free(err);
    json_decref(args);
}

static void lpush_raw(const pf_test_redis *redis, const char *queue, const char *raw) {
    redisContext *rc = pf_test_redis_connect(redis);
    redisReply *reply = redisCommand(rc, "LPUSH %s %s", queue, raw);
    CHECK(reply && reply->type == REDIS_REPLY_INTEGER);
    if (reply) freeReplyObject(reply);
    redisFree(rc);
}

/* ---- the scenarios ---- */

/* (1) A Python client's task runs on the C worker; AsyncResult.get() gets it. */
static void test_python_client(const char *url) {
    pf_peer_output out;
    const char *args[] = {"add", "cq", "2", "3", NULL};
    CHECK_INT(pf_test_celery_peer(url, args, &out), 0);
    CHECK_STR(out.text, "5\n");
}

/* (2) inspect().ping() gets a pong from the C worker. */
static void test_python_ping(const char *url) {
    pf_peer_output out;
    const char *args[] = {"ping", "c1@test", NULL};
    CHECK_INT(pf_test_celery_peer(url, args, &out), 0);
    CHECK(strstr(out.text, "\"c1@test\": {\"ok\": \"pong\"}") != NULL);
}

/* (3) A Receiver (as `celery events` uses) sees the task and worker events. */
static void test_python_events(const char *url) {
    pf_peer_output out;
    const char *args[] = {"events", "cq", "c1@test", NULL};
    CHECK_INT(pf_test_celery_peer(url, args, &out), 0);
    static const char *const kinds[] = {"task-received", "task-started", "task-succeeded", "task-failed",
                                        "worker-heartbeat"};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        CHECK_MSG(strstr(out.text, kinds[i]) != NULL, "no %s in %s", kinds[i], out.text);
}

/* (4) The C client sends to a Python worker and awaits its result; C ping
 * hears both workers. */
static void test_python_worker(pf_celery_client *c, const char *url) {
    const char *argv[24];
    char broker[256];
    const char *args[] = {"-m", "celery",  "-A", "celery_app", "worker",           "--pool=solo",
                          "-n", "py@test", "-Q", "pyq",        "--without-mingle", "--without-gossip",
                          "-l", "WARNING", NULL};
    pf_test_python_argv(argv, broker, url, args);
    pf_subprocess_opts o = {.argv = argv, .cwd = PF_CELERY_DIR};
    pf_child *child = NULL;
    pf_error *err = pf_child_spawn(&o, false, &child);
    CHECK(err == NULL);
    pf_error_free(err);
    if (!child) return;
    send_task(c, "test.py_mul", "py-mul-1", json_pack("[i,i]", 6, 7), "pyq");
    json_t *meta = await_ok(c, "py-mul-1");
    CHECK_STR(status_of(meta), "SUCCESS");
    CHECK_INT(json_integer_value(json_object_get(meta, "result")), 42);
    json_decref(meta);
    /* Both workers answer a C ping (retried: a broadcast's replies arrive
     * within a protocol wait). */
    json_t *replies = NULL;
    for (;;) {
        err = pf_celery_ping(c, 1000, &replies);
        CHECK(err == NULL);
        bool both = replies && json_object_get(replies, "py@test") && json_object_get(replies, "c1@test");
        if (err || both) break;
        json_decref(replies);
        replies = NULL;
    }
    pf_error_free(err);
    CHECK_STR(json_string_value(json_object_get(json_object_get(replies, "py@test"), "ok")), "pong");
    json_decref(replies);
    pf_child_kill(child);
}

/* (5) An unknown task name: FAILURE NotRegistered, raised as such in Python. */
static void test_unknown(const char *url) {
    pf_peer_output out;
    const char *args[] = {"unknown", "cq", NULL};
    CHECK_INT(pf_test_celery_peer(url, args, &out), 0);
    CHECK(strstr(out.text, "NotRegistered") != NULL);
}

/* (6) Pickle, protocol v1 and garbage: FAILURE (when an id is known), acked,
 * and the worker goes on. */
static void test_refusals(pf_celery_client *c, const pf_test_redis *redis) {
    lpush_raw(redis, "cq", "this is not a message");
    lpush_raw(redis, "cq",
              "{\"body\": \"gASVAAAAAAAAAAB9lC4=\", \"content-type\": \"application/x-python-serialize\", "
              "\"content-encoding\": \"binary\", \"headers\": {\"task\": \"test.add\", \"id\": \"pickle-1\"}, "
              "\"properties\": {\"body_encoding\": \"base64\", \"delivery_tag\": \"tag-pickle-1\", "
              "\"delivery_info\": {\"exchange\": \"\", \"routing_key\": \"cq\"}}}");
    /* v1: {"task": "test.add", "id": "v1-1", "args": [], "kwargs": {}} in the body. */
    lpush_raw(redis, "cq",
              "{\"body\": \"eyJ0YXNrIjogInRlc3QuYWRkIiwgImlkIjogInYxLTEiLCAiYXJncyI6IFtdLCAia3dhcmdzIjoge319\", "
              "\"content-type\": \"application/json\", \"headers\": {}, \"properties\": {\"body_encoding\": "
              "\"base64\", \"delivery_tag\": \"tag-v1-1\", \"delivery_info\": {\"exchange\": \"\", "
              "\"routing_key\": \"cq\"}}}");
    json_t *meta = await_ok(c, "pickle-1");
    CHECK_STR(status_of(meta), "FAILURE");
    CHECK_STR(exc_type_of(meta), "ContentDisallowed");
    json_decref(meta);
    meta = await_ok(c, "v1-1");
    CHECK_STR(status_of(meta), "FAILURE");
    CHECK_STR(exc_type_of(meta), "InvalidTaskError");
    json_decref(meta);
    send_task(c, "test.add", "after-refusals", json_pack("[i,i]", 20, 22), "cq");
    meta = await_ok(c, "after-refusals");
    CHECK_INT(json_integer_value(json_object_get(meta, "result")), 42);
    json_decref(meta);
    CHECK_INT(pf_test_redis_int(redis, "HEXISTS unacked tag-pickle-1"), 0);
    CHECK_INT(pf_test_redis_int(redis, "HEXISTS unacked tag-v1-1"), 0);
}

/* (7) Revoke with terminate reaches a running task: from C and from Python. */
static void test_revoke(pf_celery_client *c, const char *url, const char *dir) {
    char *never = pf_asprintf("%s/never", dir);
    int before = state.saw_revoked;
    send_task(c, "test.block", "block-c", json_pack("[s]", never), "cq");
    wait_started("block-c");
    pf_error *err = pf_celery_revoke(c, "block-c", true);
    CHECK(err == NULL);
    pf_error_free(err);
    json_t *meta = await_ok(c, "block-c");
    CHECK_STR(status_of(meta), "REVOKED");
    CHECK_STR(exc_type_of(meta), "TaskRevokedError");
    json_decref(meta);

    send_task(c, "test.block", "block-py", json_pack("[s]", never), "cq");
    wait_started("block-py");
    pf_peer_output out;
    const char *args[] = {"revoke", "block-py", NULL};
    CHECK_INT(pf_test_celery_peer(url, args, &out), 0);
    meta = await_ok(c, "block-py");
    CHECK_STR(status_of(meta), "REVOKED");
    json_decref(meta);
    CHECK_INT(state.saw_revoked - before, 2);

    /* A task revoked before it arrives is not run. */
    err = pf_celery_revoke(c, "late-1", false);
    pf_error_free(err);
    /* The revoke is a broadcast: a ping round trip after it proves the
     * worker has read it (one subscriber, messages in order). */
    json_t *replies = NULL;
    while (!replies || !json_object_get(replies, "c1@test")) {
        json_decref(replies);
        pf_error_free(pf_celery_ping(c, 1000, &replies));
    }
    json_decref(replies);
    send_task(c, "test.add", "late-1", json_pack("[i]", 1), "cq");
    meta = await_ok(c, "late-1");
    CHECK_STR(status_of(meta), "REVOKED");
    json_decref(meta);
    free(never);
}

/* The worker process of test (8): `test_celery --worker URL QUEUE HOST`. */
static int worker_process(const char *url, const char *queue, const char *hostname) {
    state.hold_once = true;
    atomic_bool stop = false;
    const char *queues[] = {queue, NULL};
    pf_celery_worker_opts o = {.broker_url = url,
                               .queues = queues,
                               .concurrency = 1,
                               .hostname = hostname,
                               .handler = handler,
                               .accepts = accepts,
                               .stop = &stop};
    pf_error *err = pf_celery_worker_run(&o);
    if (err) fprintf(stderr, "worker process: %s\n", err->message);
    pf_error_free(err);
    return 1; /* only SIGKILL should end it */
}

static int count_lines(const char *path) {
    FILE *f = fopen(path, "r");
    int n = 0;
    for (int ch; f && (ch = fgetc(f)) != EOF;)
        n += ch == '\n';
    if (f) fclose(f);
    return n;
}

/* (8) kill -9 a worker process holding an unacked task; a second worker
 * restores it after its visibility timeout and runs it; a duplicate of
 * the message is then acknowledged without running again. */
static void test_killed_worker(pf_celery_client *c, const pf_test_redis *redis, const char *dir) {
    char *effects = pf_asprintf("%s/effects", dir), *started = pf_asprintf("%s/effects.started", dir);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/proc/self/exe", "test_celery", "--worker", redis->url, "dq", "a@test", (char *)NULL);
        _exit(127);
    }
    send_task(c, "test.once", "once-1", json_pack("[s]", effects), "dq");
    while (!file_exists(started))
        pause_ms(5); /* the worker process took it */
    CHECK_INT(pf_test_redis_int(redis, "HLEN unacked"), 1);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK_INT(pf_test_redis_int(redis, "HLEN unacked"), 1);
    CHECK_INT(count_lines(effects), 0);

    /* Keep the envelope to deliver it again afterwards. */
    redisContext *rc = pf_test_redis_connect(redis);
    redisReply *entry = redisCommand(rc, "HVALS unacked");
    json_t *saved = entry && entry->elements == 1 ? json_loads(entry->element[0]->str, 0, NULL) : NULL;
    if (entry) freeReplyObject(entry);
    CHECK(json_is_array(saved));

    test_worker b;
    worker_start(&b, redis->url, "dq", "b@test", 1, 300);
    json_t *meta = await_ok(c, "once-1");
    CHECK_STR(status_of(meta), "SUCCESS");
    json_decref(meta);
    CHECK_INT(count_lines(effects), 1);

    /* A duplicate, then a sentinel on the same queue (one thread, FIFO):
     * once the sentinel is done, the duplicate was handled. */
    char *dup = json_dumps(json_array_get(saved, 0), JSON_COMPACT);
    lpush_raw(redis, "dq", dup);
    send_task(c, "test.add", "sentinel-1", json_pack("[i,i]", 1, 1), "dq");
    meta = await_ok(c, "sentinel-1");
    CHECK_INT(json_integer_value(json_object_get(meta, "result")), 2);
    json_decref(meta);
    CHECK_INT(count_lines(effects), 1);
    worker_stop(&b);
    CHECK_INT(pf_test_redis_int(redis, "HLEN unacked"), 0);
    free(dup);
    json_decref(saved);
    redisFree(rc);
    free(effects);
    free(started);
}

typedef struct waiter_arg {
    pf_celery_client *c;
    const char *id;
    json_t *meta;
} waiter_arg;

static void *waiter_main(void *arg) {
    waiter_arg *w = arg;
    pf_error *err = pf_celery_await(w->c, w->id, NULL, NULL, NULL, &w->meta);
    pf_error_free(err);
    return NULL;
}

/* (9) Redis restarts while a task runs and a waiter waits: the worker and
 * the client reconnect, the waiter gets its result, and a task sent after
 * the restart completes. */
static void test_redis_restart(pf_celery_client *c, pf_test_redis *redis, const char *dir) {
    char *gate = pf_asprintf("%s/gate", dir);
    send_task(c, "test.block", "gate-1", json_pack("[s]", gate), "cq");
    wait_started("gate-1");
    waiter_arg w = {c, "gate-1", NULL};
    pthread_t t;
    pthread_create(&t, NULL, waiter_main, &w);
    CHECK_INT(pf_test_redis_restart(redis), 0);
    touch(gate);
    pthread_join(t, NULL);
    CHECK_STR(status_of(w.meta), "SUCCESS");
    CHECK_STR(json_string_value(json_object_get(w.meta, "result")), "released");
    json_decref(w.meta);

    send_task(c, "test.add", "after-restart", json_pack("[i,i]", 40, 2), "cq");
    json_t *meta = await_ok(c, "after-restart");
    CHECK_INT(json_integer_value(json_object_get(meta, "result")), 42);
    json_decref(meta);
    free(gate);
}

/* (10) AUTH: requirepass and an ACL user; a wrong password is a clear error. */
static void test_auth(void) {
    pf_test_redis redis;
    if (pf_test_redis_start(&redis, "s3cret") != 0) {
        CHECK(!"redis with requirepass started");
        return;
    }
    redisContext *rc = pf_test_redis_connect(&redis);
    redisReply *r = redisCommand(rc, "ACL SETUSER pfuser on >pf-pass ~* &* +@all");
    CHECK(r && r->type == REDIS_REPLY_STATUS);
    if (r) freeReplyObject(r);
    redisFree(rc);
    char acl_url[200], wrong_url[200], bare_url[200];
    snprintf(acl_url, sizeof acl_url, "redis://pfuser:pf-pass@127.0.0.1:%d/0", redis.port);
    snprintf(wrong_url, sizeof wrong_url, "redis://pfuser:nope@127.0.0.1:%d/0", redis.port);
    snprintf(bare_url, sizeof bare_url, "redis://127.0.0.1:%d/0", redis.port);

    pf_celery_client *c = NULL;
    pf_error *err = pf_celery_client_open(wrong_url, &c);
    CHECK_MSG(err && err->code == PF_EINVAL && strstr(err->message, "refused the credentials of user 'pfuser'"), "%s",
              err ? err->message : "accepted");
    pf_error_free(err);
    err = pf_celery_client_open(bare_url, &c);
    CHECK_MSG(err && strstr(err->message, "NOAUTH"), "%s", err ? err->message : "accepted");
    pf_error_free(err);
    const char *queues[] = {"aq", NULL};
    pf_celery_worker_opts bad = {.broker_url = wrong_url, .queues = queues, .handler = handler};
    err = pf_celery_worker_run(&bad);
    CHECK(err && err->code == PF_EINVAL);
    pf_error_free(err);

    test_worker w;
    worker_start(&w, acl_url, "aq", "auth@test", 1, 0);
    err = pf_celery_client_open(redis.url, &c); /* the default user's password */
    CHECK(err == NULL);
    pf_error_free(err);
    pf_celery_client *acl = NULL;
    CHECK(pf_celery_client_open(acl_url, &acl) == NULL);
    if (c && acl) {
        send_task(c, "test.add", "auth-1", json_pack("[i,i]", 2, 3), "aq");
        json_t *meta = await_ok(acl, "auth-1");
        CHECK_INT(json_integer_value(json_object_get(meta, "result")), 5);
        json_decref(meta);
    }
    worker_stop(&w);
    pf_celery_client_close(acl);
    pf_celery_client_close(c);
    pf_test_redis_stop(&redis);
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[1], "--worker") == 0) return worker_process(argv[2], argv[3], argv[4]);
    signal(SIGPIPE, SIG_IGN);
    pf_log_init(stderr, PF_LOG_INFO);
    pf_test_redis redis;
    if (pf_test_redis_start(&redis, NULL) != 0) return 1;
    char *dir = pf_test_tmpdir("celery");
    test_worker c1;
    worker_start(&c1, redis.url, "cq", "c1@test", 2, 0);
    pf_celery_client *c = NULL;
    pf_error *err = pf_celery_client_open(redis.url, &c);
    CHECK(err == NULL);
    pf_error_free(err);
    if (c) {
        test_python_client(redis.url);
        test_python_ping(redis.url);
        test_python_events(redis.url);
        test_python_worker(c, redis.url);
        test_unknown(redis.url);
        test_refusals(c, &redis);
        test_revoke(c, redis.url, dir);
        test_killed_worker(c, &redis, dir);
        test_redis_restart(c, &redis, dir);
    }
    worker_stop(&c1);
    pf_celery_client_close(c);
    test_auth();
    pf_test_redis_stop(&redis);
    pf_error_free(pf_remove_tree(dir));
    free(dir);
    return pf_check_done("test_celery");
}
