/* Production leaves the server, for real: a redis-server, a `prodflow
 * serve --broker` and two `prodflow worker`s, all started here on
 * loopback. A CAD intake runs its heavy nodes on the workers (inputs
 * fetched by digest, outputs uploaded and checked); a Python Celery client
 * sends a module task to a C worker and reads the result; `inspect ping`
 * hears every worker; a worker with a different module version refuses;
 * a worker killed with -9 mid-task loses nothing (the other one takes the
 * task after the visibility timeout); Redis restarted mid-run loses
 * nothing; a cancel reaches the worker and kills its Blender. Renders are
 * held at a gate, so every "mid-task" is a state, never a moment. */
#include "check.h"

#include "cad/fixture.h"
#include "core/json.h"
#include "core/mem.h"
#include "core/path.h"
#include "support/gate.h"
#include "support/python_peer.h"
#include "support/redis.h"
#include "support/server.h"
#include "support/tmpdir.h"
#include "support/workers.h"

#include <dirent.h>
#include <glob.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef pf_test_worker worker;

static pf_peer_output peer(const pf_test_redis *redis, const char *const *args, int want) {
    pf_peer_output out;
    int rc = pf_test_celery_peer(redis->url, args, &out);
    CHECK_MSG(rc == want, "peer %s: %d, wanted %d: %s", args[0], rc, want, out.text);
    return out;
}

/* The CAD intake of a STEP file made here with bolts bolts: each count is
 * a new file, so no node of its intake is a cache hit. */
static char *intake(const pf_test_server *srv, int bolts) {
    char *name = pf_asprintf("gearbox-%d.step", bolts), *path = pf_asprintf("%s/data/%s", srv->data_dir, name);
    pf_fixture_opts fo = {.bolts = bolts};
    pf_error *err = pf_cad_make_fixture(path, &fo);
    CHECK(err == NULL);
    pf_error_free(err);
    char *body =
        pf_asprintf("{\"workflow\": {\"id\": \"starter-cad-intake\"}, \"context\": {\"step_path\": \"%s\"}}", name);
    free(name);
    free(path);
    return body;
}

static char *start_run(const pf_test_server *srv, int bolts) {
    long status;
    char *body = intake(srv, bolts);
    json_t *r = pf_http_json(srv, "POST", "/api/runs", body, &status);
    free(body);
    CHECK_MSG(status == 202, "POST /api/runs: %ld", status);
    char *id = pf_json_str(r, "id") ? pf_strdup(pf_json_str(r, "id")) : NULL;
    json_decref(r);
    return id;
}

/* Polls until the run is final, or until node is running (node non-NULL). */
static json_t *poll_run(const pf_test_server *srv, const char *id, const char *node) {
    char *path = pf_asprintf("/api/runs/%s", id);
    for (;;) {
        long status;
        json_t *run = pf_http_json(srv, "GET", path, NULL, &status);
        const char *s = pf_json_str(run, "status");
        const char *n = pf_json_str(json_object_get(json_object_get(run, "nodes"), node ? node : ""), "status");
        if (!status || (node ? n && !strcmp(n, "running") : s && strcmp(s, "running") != 0)) {
            CHECK_MSG(status == 200, "GET %s: %ld", path, status);
            free(path);
            return run;
        }
        json_decref(run);
    }
}

/* Polls until node's live progress message contains says. */
static json_t *wait_progress(const pf_test_server *srv, const char *id, const char *node, const char *says) {
    char *path = pf_asprintf("/api/runs/%s", id);
    for (;;) {
        long status;
        json_t *run = pf_http_json(srv, "GET", path, NULL, &status);
        const char *said =
            pf_json_str(json_object_get(json_object_get(json_object_get(run, "nodes"), node), "progress"), "message");
        if (said && strstr(said, says)) {
            free(path);
            return run;
        }
        CHECK_MSG(status == 200 && strcmp(pf_json_str(run, "status") ? pf_json_str(run, "status") : "", "running") == 0,
                  "the run ended before %s said \"%s\"", node, says);
        json_decref(run);
        if (status != 200) {
            free(path);
            return NULL;
        }
    }
}

static const json_t *state(const json_t *run, const char *node, const char *field) {
    return json_object_get(json_object_get(json_object_get(json_object_get(run, "nodes"), node), "state"), field);
}

/* Which of the workers holds a gated Blender now (0: none yet). */
static pid_t holder(const worker *ws, size_t n) {
    DIR *d = opendir("/proc");
    struct dirent *e;
    pid_t found = 0;
    while (d && (e = readdir(d)) && !found) {
        char path[300], buf[4096];
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        bool gated = false;
        for (size_t i = 0; i < len; i += strlen(buf + i) + 1)
            gated |= strstr(buf + i, "gated-blender") != NULL;
        if (!gated) continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        f = fopen(path, "r");
        if (!f) continue;
        len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        const char *close = strrchr(buf, ')');
        int ppid = 0;
        char st = 0;
        if (!close || sscanf(close + 2, "%c %d", &st, &ppid) != 2 || st == 'Z') continue;
        for (size_t k = 0; k < n; k++)
            if (ws[k].pid == ppid) found = ppid;
    }
    if (d) closedir(d);
    return found;
}

int main(void) {
    pf_test_redis redis;
    if (pf_test_redis_start(&redis, NULL) != 0) return pf_check_done("scale_out");
    char *dir = pf_test_tmpdir("scale-out");
    pf_test_gate gate;
    pf_test_gate_make(&gate, dir);
    setenv("PRODFLOW_BLENDER", gate.blender, 1); /* for the workers: the server renders nothing itself */
    pf_test_server srv;
    if (pf_test_server_start(&srv, (const char *const[]){"--no-demo-data", "--broker", redis.url, NULL}) != 0)
        return pf_check_done("scale_out");
    char *token = pf_test_token(&srv, (const char *const[]){"worker", NULL});
    char *token_file = pf_asprintf("%s/worker.token", dir);
    CHECK(pf_write_file_atomic(token_file, token, strlen(token)) == NULL);
    worker ws[2];
    pf_test_worker_start(&ws[0], "w1", &redis, &srv, token_file, dir);
    pf_test_worker_start(&ws[1], "w2", &redis, &srv, token_file, dir);
    for (int i = 0; i < 2; i++) /* both online: ping answers pong (a state, retried until it holds) */
        peer(&redis, (const char *const[]){"ping", ws[i].name, NULL}, 0);
    /* An intake whose heavy nodes run on the workers. */
    char *id = start_run(&srv, 2);
    json_t *run = poll_run(&srv, id, NULL);
    CHECK_STR(pf_json_str(run, "status"), "succeeded");
    const json_t *log = state(run, "glb", "log");
    const char *last = pf_json_str(json_array_get(log, json_array_size(log) - 1), "message");
    CHECK_MSG(last && strstr(last, "ran on w") && strstr(last, "@test"), "glb: %s", last ? last : "(no log)");
    const char *glb = pf_json_str(json_object_get(state(run, "glb", "outputs"), "glb"), "path");
    char *glb_file = pf_asprintf("%s/data/%s", srv.data_dir, glb ? glb : "");
    CHECK_MSG(glb && access(glb_file, R_OK) == 0, "the GLB a worker made is in the server's store: %s", glb_file);
    /* The worker that rendered the thumbnail kept the imported product for
     * its next cold render, in its work directory's cache. */
    char *kept = pf_asprintf("%s/w*/cache/render-models/*.blend", dir);
    glob_t g;
    CHECK_MSG(glob(kept, 0, NULL, &g) == 0 && g.gl_pathc == 1, "the imported product kept by a worker: %s", kept);
    globfree(&g);
    free(kept);
    char *step_digest = pf_strdup(pf_json_str(json_object_get(state(run, "resolve", "outputs"), "step"), "sha256"));
    char *kwargs = pf_asprintf("{\"inputs\": {\"step\": {\"sha256\": \"%s\"}}, \"params\": {}}", step_digest);
    json_decref(run);
    free(glb_file);
    free(id);

    /* A Python Celery client sends a module task to a C worker. */
    pf_peer_output out = peer(&redis, (const char *const[]){"module", "cad", "cad.compute_bbox", kwargs, NULL}, 0);
    CHECK_MSG(strstr(out.text, "\"bbox\"") && strstr(out.text, "\"sha256\"") && strstr(out.text, "\"worker\""), "%s",
              out.text);
    /* ... and one made for another version is refused, saying why. */
    char *skewed =
        pf_asprintf("{\"module_version\": \"0.0.1\", \"inputs\": {\"step\": {\"sha256\": \"%s\"}}}", step_digest);
    out = peer(&redis, (const char *const[]){"module", "cad", "cad.compute_bbox", skewed, NULL}, 3);
    CHECK_MSG(strstr(out.text, "ConflictError") && strstr(out.text, "made for 0.0.1"), "%s", out.text);
    free(skewed);
    free(kwargs);
    free(step_digest);

    /* kill -9 the worker holding a render: the other takes the task after
     * the visibility timeout, and the run ends as if nothing happened. */
    pf_test_gate_close(&gate);
    id = start_run(&srv, 3);
    pid_t busy;
    while (!(busy = holder(ws, 2)))
        ;
    worker *victim = ws[0].pid == busy ? &ws[0] : &ws[1], *survivor = victim == &ws[0] ? &ws[1] : &ws[0];
    /* What the held render says on the worker shows in the server's run. */
    json_t *held = wait_progress(&srv, id, "thumbnail", "sample 1 of 4");
    bool where = false;
    const json_t *entries = json_object_get(
        json_object_get(json_object_get(json_object_get(held, "nodes"), "thumbnail"), "progress"), "log");
    size_t k;
    const json_t *entry;
    json_array_foreach(entries, k, entry) {
        const char *said = pf_json_str(entry, "message");
        where = where || (said && strstr(said, "running on ") && strstr(said, victim->name));
    }
    CHECK_MSG(where, "the thumbnail's progress says it runs on %s", victim->name);
    json_decref(held);
    kill(victim->pid, SIGKILL);
    waitpid(victim->pid, NULL, 0);
    victim->pid = 0;
    while (holder(survivor, 1) != survivor->pid) /* redelivered to the survivor, held at the gate again */
        ;
    /* Redis goes away and comes back while the survivor renders. */
    pf_test_redis_kill(&redis);
    CHECK(pf_test_redis_restart(&redis) == 0);
    pf_test_gate_open(&gate);
    run = poll_run(&srv, id, NULL);
    CHECK_STR(pf_json_str(run, "status"), "succeeded");
    CHECK_STR(pf_json_str(json_object_get(json_object_get(run, "nodes"), "thumbnail"), "status"), "succeeded");
    json_decref(run);
    free(id);

    /* A cancel reaches the worker, which kills its Blender. */
    pf_test_gate_close(&gate);
    id = start_run(&srv, 4);
    while (!holder(survivor, 1))
        ;
    char *cancel = pf_asprintf("/api/runs/%s/cancel", id);
    long status;
    json_decref(pf_http_json(&srv, "POST", cancel, NULL, &status));
    CHECK_INT(status, 202);
    run = poll_run(&srv, id, NULL);
    CHECK_STR(pf_json_str(run, "status"), "cancelled");
    json_decref(run);
    while (holder(survivor, 1)) /* the worker killed it: the gate is still closed */
        ;
    pf_test_gate_open(&gate);
    free(cancel);
    free(id);

    pf_test_worker_stop(&ws[0]);
    pf_test_worker_stop(&ws[1]);
    pf_test_server_stop(&srv);
    pf_test_redis_stop(&redis);
    pf_test_gate_free(&gate);
    free(token);
    free(token_file);
    free(dir);
    return pf_check_done("scale_out");
}
