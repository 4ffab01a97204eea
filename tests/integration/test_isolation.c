/* Modules that run in a child process, against a real `prodflow serve` and
 * real OCCT: a STEP of six distinct spheres meshed at the finest deflection
 * the model allows grows past a small memory limit; the node fails saying
 * so, the run follows its policy, and the server keeps serving. A CPU-time
 * limit ends it the same way. Cancel kills the child, and a cancelled run
 * stays cancelled after a restart. The children are forked by the server's
 * module zygote; killed, it is replaced and the node it ran fails;
 * stopped (kill -STOP), the next node does not wait for it: it is killed
 * and replaced. With a disk quota, no file a child writes may outgrow the
 * room left under it: a GLB that would is cut short by the kernel
 * (RLIMIT_FSIZE) and the node fails saying so. This
 * holds in the sanitised test build: the memory limit is a watchdog on the
 * child's resident size there. */
#include "check.h"

#include "cad/cad_kernel.h"
#include "core/json.h"
#include "core/mem.h"
#include "core/path.h"
#include "support/server.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Fine enough to mesh millions of triangles on these spheres, and within
 * the bound the module puts on a model this size (a millionth of it). */
#define FINE "0.0006"

static void make_spheres(const char *path) {
    pf_cad_builder *b = pf_cad_builder_new();
    int top = pf_cad_builder_assembly(b, "Spheres");
    for (int i = 0; i < 6; i++) {
        char name[32];
        snprintf(name, sizeof name, "Sphere_%d", i);
        int part = pf_cad_builder_part(b, name, PF_CAD_SPHERE, (const double[3]){60, 0, 0}, NULL);
        CHECK(part >= 0);
        CHECK_INT(pf_cad_builder_place(b, top, part, name, (const double[3]){(i % 3) * 130.0, (i / 3) * 130.0, 0}),
                  PF_CAD_OK);
    }
    CHECK_INT(pf_cad_builder_write_step(b, path), PF_CAD_OK);
    pf_cad_builder_free(b);
}

static char *start(const pf_test_server *srv, const char *deflection) {
    char *body = pf_asprintf(
        "{\"workflow\": {\"schema\": \"prodflow.workflow/v1\", \"id\": \"mesh\", \"name\": \"Mesh\", "
        "\"family\": \"cad_file\", \"nodes\": [{\"id\": \"resolve\", \"step\": \"cad.resolve_step_path\"}, "
        "{\"id\": \"glb\", \"step\": \"cad.export_glb\", \"params\": {\"linear_deflection\": %s}, "
        "\"policy\": {\"retries\": 0}}], \"edges\": [{\"from\": {\"node\": \"resolve\", \"port\": \"step\"}, "
        "\"to\": {\"node\": \"glb\", \"port\": \"step\"}}]}, \"context\": {\"step_path\": \"spheres.step\"}}",
        deflection);
    long status;
    json_t *r = pf_http_json(srv, "POST", "/api/runs", body, &status);
    CHECK_MSG(status == 202, "POST /api/runs: %ld", status);
    char *id = pf_json_str(r, "id") ? pf_strdup(pf_json_str(r, "id")) : NULL;
    json_decref(r);
    free(body);
    return id;
}

/* Polls until the run is final: a state, however long it takes. NULL when
 * the server stops answering. */
static json_t *finished(const pf_test_server *srv, const char *id) {
    char *path = pf_asprintf("/api/runs/%s", id);
    for (;;) {
        long status;
        json_t *run = pf_http_json(srv, "GET", path, NULL, &status);
        const char *s = pf_json_str(run, "status");
        if (!status || (s && strcmp(s, "running") != 0)) {
            CHECK_MSG(status == 200, "GET %s answered %ld", path, status);
            free(path);
            return run;
        }
        json_decref(run);
    }
}

static const json_t *glb(const json_t *run) {
    return json_object_get(json_object_get(json_object_get(run, "nodes"), "glb"), "state");
}

static const json_t *last_attempt(const json_t *run) {
    const json_t *attempts = json_object_get(glb(run), "attempts");
    return json_array_get(attempts, json_array_size(attempts) - 1);
}

/* The pid of a live child of parent whose command line holds what, 0 when
 * there is none. */
static pid_t child_of(pid_t parent, const char *what) {
    pid_t found = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d)) && !found) {
        char path[300], buf[4096];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        const char *close = strrchr(buf, ')');
        int ppid = 0;
        char state = 0;
        if (!close || sscanf(close + 2, "%c %d", &state, &ppid) != 2 || ppid != parent || state == 'Z') continue;
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        f = fopen(path, "r");
        if (!f) continue;
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        for (size_t i = 0; i < n; i++)
            if (!buf[i]) buf[i] = ' ';
        buf[n] = '\0';
        if (strstr(buf, what)) found = (pid_t)atol(e->d_name);
    }
    if (d) closedir(d);
    return found;
}

/* Whether pid runs still: not gone, not a zombie (a child of a killed
 * zygote is reaped by init, whenever init gets to it). */
static bool running(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *close = strrchr(buf, ')');
    return close && close[1] && close[2] != 'Z' && close[2] != 'X';
}

/* The server's module zygote (runtime/zygote.h), 0 when there is none. */
static pid_t zygote(pid_t server) { return child_of(server, "module-zygote"); }

/* The pid of the server's module child, 0 when there is none: forked by
 * its zygote, which is how the server starts them. */
static pid_t module_child(pid_t server) {
    pid_t z = zygote(server);
    return z ? child_of(z, "module-zygote") : 0;
}

/* Polls until the run's glb node has said what it is doing: the server
 * reads that from the module child's output, which it does only once the
 * zygote told it the child's pid. A child seen in /proc before then may
 * still be unknown to the server (forked, its pid not yet sent): a zygote
 * killed in that moment makes the server spawn the module itself. */
static void wait_heard(const pf_test_server *srv, const char *id) {
    char *path = pf_asprintf("/api/runs/%s", id);
    for (;;) {
        long status;
        json_t *run = pf_http_json(srv, "GET", path, NULL, &status);
        const json_t *node = json_object_get(json_object_get(run, "nodes"), "glb");
        bool heard = pf_json_str(json_object_get(node, "progress"), "message") != NULL;
        const char *s = pf_json_str(run, "status");
        bool over = status != 200 || (s && strcmp(s, "running") != 0 && strcmp(s, "queued") != 0);
        CHECK_MSG(!over, "GET %s: %ld, run %s before its module said anything", path, status, s ? s : "(none)");
        json_decref(run);
        if (heard || over) break;
    }
    free(path);
}

static void test_memory_limit(void) {
    pf_test_server srv;
    if (pf_test_server_start(&srv, (const char *const[]){"--no-demo-data", "--memory-limit", "cad=300M", NULL}) != 0)
        return;
    char *step = pf_asprintf("%s/data/spheres.step", srv.data_dir);
    make_spheres(step);

    /* An everyday mesh runs in the child well within the limit, and the
     * run says how much memory it took. */
    char *id = start(&srv, "0.1");
    json_t *run = finished(&srv, id);
    CHECK_STR(pf_json_str(run, "status"), "succeeded");
    const json_t *process = json_object_get(last_attempt(run), "process");
    json_int_t peak = json_integer_value(json_object_get(process, "peak_rss"));
    CHECK_MSG(peak > 0 && peak < (300LL << 20), "peak %lld", (long long)peak);
    CHECK_INT(json_integer_value(json_object_get(process, "memory_limit")), 300LL << 20);
    json_decref(run);
    free(id);

    /* The finest mesh goes past the limit: the node fails and says why. */
    id = start(&srv, FINE);
    run = finished(&srv, id);
    CHECK_STR(pf_json_str(run, "status"), "failed");
    const json_t *error = json_object_get(glb(run), "error");
    CHECK_STR(pf_json_str(error, "code"), "limit_exceeded");
    const char *message = pf_json_str(error, "message");
    CHECK_MSG(message && strstr(message, "cad.export_glb went past its 300 MiB memory limit while meshing") &&
                  strstr(message, "coarser deflection"),
              "%s", message ? message : "(none)");
    json_decref(run);
    free(id);

    /* The server never noticed. */
    long status;
    json_decref(pf_http_json(&srv, "GET", "/api/health", NULL, &status));
    CHECK_INT(status, 200);
    id = start(&srv, "0.2");
    run = finished(&srv, id);
    CHECK_STR(pf_json_str(run, "status"), "succeeded");
    json_decref(run);
    free(id);
    free(step);
    pf_test_server_stop(&srv);
}

/* A server started with one limit flag meshes the spheres at deflection
 * in a child that goes past it: the node fails as limit_exceeded, its
 * message saying each of want (NULL-terminated) and never unwanted. */
static void expect_limit(const char *flag, const char *value, const char *deflection, const char *const *want,
                         const char *unwanted) {
    pf_test_server srv;
    if (pf_test_server_start(&srv, (const char *const[]){"--no-demo-data", flag, value, NULL}) != 0) return;
    char *step = pf_asprintf("%s/data/spheres.step", srv.data_dir);
    make_spheres(step);
    char *id = start(&srv, deflection);
    json_t *run = finished(&srv, id);
    CHECK_STR(pf_json_str(run, "status"), "failed");
    const json_t *error = json_object_get(glb(run), "error");
    CHECK_STR(pf_json_str(error, "code"), "limit_exceeded");
    const char *message = pf_json_str(error, "message");
    for (size_t i = 0; want[i]; i++)
        CHECK_MSG(message && strstr(message, want[i]), "%s %s: wanted \"%s\" in: %s", flag, value, want[i],
                  message ? message : "(none)");
    CHECK_MSG(!message || !unwanted || !strstr(message, unwanted), "%s %s: %s", flag, value, message);
    json_decref(run);
    free(id);
    free(step);
    pf_test_server_stop(&srv);
}

static void test_cpu_limit(void) {
    expect_limit("--cpu-limit", "cad=1", FINE, (const char *const[]){"went past its 1 s CPU-time limit", NULL}, NULL);
}

static void test_cancel_kills_the_child(void) {
    pf_test_server srv;
    if (pf_test_server_start(&srv, (const char *const[]){"--no-demo-data", NULL}) != 0) return;
    char *step = pf_asprintf("%s/data/spheres.step", srv.data_dir);
    make_spheres(step);
    char *id = start(&srv, FINE);
    wait_heard(&srv, id);
    pid_t child = module_child(srv.pid); /* meshing, in its own process */
    CHECK_MSG(child != 0, "no module child of the zygote");
    char *cancel = pf_asprintf("/api/runs/%s/cancel", id);
    long status;
    json_decref(pf_http_json(&srv, "POST", cancel, NULL, &status));
    CHECK_INT(status, 202);
    json_t *run = finished(&srv, id);
    CHECK_STR(pf_json_str(run, "status"), "cancelled");
    json_decref(run);
    CHECK_MSG(kill(child, 0) != 0, "the module's process %d outlived the cancel", (int)child);

    /* Still cancelled after a restart: nothing runs it again. */
    const char *const args[] = {"--no-demo-data", NULL};
    CHECK(pf_test_server_signal(&srv, SIGTERM) == 0);
    CHECK(pf_test_server_restart(&srv, args) == 0);
    run = finished(&srv, id);
    CHECK_STR(pf_json_str(run, "status"), "cancelled");
    CHECK_INT(module_child(srv.pid), 0);
    json_decref(run);
    free(cancel);
    free(id);
    free(step);
    pf_test_server_stop(&srv);
}

/* The zygote killed with kill -9 while its child meshes: the node fails
 * (it has no retries) saying why, and the next run gets a new zygote. */
static void test_zygote_killed(void) {
    pf_test_server srv;
    if (pf_test_server_start(&srv, (const char *const[]){"--no-demo-data", NULL}) != 0) return;
    char *step = pf_asprintf("%s/data/spheres.step", srv.data_dir);
    make_spheres(step);
    char *id = start(&srv, FINE);
    wait_heard(&srv, id);
    pid_t z = zygote(srv.pid), child = z ? child_of(z, "module-zygote") : 0;
    CHECK_MSG(z && child, "no zygote (%d) or no child of it (%d)", (int)z, (int)child);
    CHECK(z && kill(z, SIGKILL) == 0);
    json_t *run = finished(&srv, id);
    CHECK_STR(pf_json_str(run, "status"), "failed");
    const char *message = pf_json_str(json_object_get(glb(run), "error"), "message");
    CHECK_MSG(message && strstr(message, "the module zygote that started it ended"), "%s",
              message ? message : "(none)");
    CHECK_MSG(!running(child), "the module's process %d outlived its zygote", (int)child);
    json_decref(run);
    free(id);

    id = start(&srv, "0.2");
    run = finished(&srv, id);
    CHECK_STR(pf_json_str(run, "status"), "succeeded");
    pid_t again = zygote(srv.pid);
    CHECK_MSG(again && again != z, "no new zygote (%d, was %d)", (int)again, (int)z);
    json_decref(run);
    free(id);
    free(step);
    pf_test_server_stop(&srv);
}

/* A zygote stopped with kill -STOP while idle: the next node gets a new
 * one instead of waiting for it, and the stopped one is gone. */
static void test_zygote_stopped(void) {
    pf_test_server srv;
    if (pf_test_server_start(&srv, (const char *const[]){"--no-demo-data", NULL}) != 0) return;
    char *step = pf_asprintf("%s/data/spheres.step", srv.data_dir);
    make_spheres(step);
    char *id = start(&srv, "0.2");
    json_t *run = finished(&srv, id);
    CHECK_STR(pf_json_str(run, "status"), "succeeded");
    json_decref(run);
    free(id);
    pid_t z = zygote(srv.pid);
    CHECK(z > 0 && kill(z, SIGSTOP) == 0);

    id = start(&srv, "0.3"); /* another deflection: not a cache hit, a child runs */
    run = finished(&srv, id);
    CHECK_STR(pf_json_str(run, "status"), "succeeded");
    pid_t again = zygote(srv.pid);
    CHECK_MSG(again && again != z, "no new zygote (%d, was %d)", (int)again, (int)z);
    CHECK_MSG(!running(z), "the stopped zygote %d is still there", (int)z);
    json_decref(run);
    free(id);
    free(step);
    pf_test_server_stop(&srv);
}

/* With --disk-quota, a child's files are bounded by the room left under
 * it when the node starts: a fine mesh's GLB, larger than that, ends the
 * child at the write that passes it (SIGXFSZ), and the node says why. */
static void test_file_size_limit(void) {
    pf_test_server srv;
    const char *const plain[] = {"--no-demo-data", NULL};
    if (pf_test_server_start(&srv, plain) != 0) return;
    char *data = pf_asprintf("%s/data", srv.data_dir);
    char *step = pf_asprintf("%s/spheres.step", data);
    make_spheres(step);
    CHECK(pf_test_server_signal(&srv, SIGTERM) == 0);
    /* 2 MiB of room: enough for the store's own growth over two runs, far
     * less than the GLB of six spheres meshed at 0.01 mm. */
    char *quota = pf_asprintf("%llu", (unsigned long long)pf_tree_bytes(data) + (2u << 20));
    const char *const args[] = {"--no-demo-data", "--disk-quota", quota, NULL};
    CHECK(pf_test_server_restart(&srv, args) == 0);
    char *id = start(&srv, "0.01");
    json_t *run = finished(&srv, id);
    CHECK_STR(pf_json_str(run, "status"), "failed");
    const json_t *error = json_object_get(glb(run), "error");
    CHECK_STR(pf_json_str(error, "code"), "limit_exceeded");
    const char *message = pf_json_str(error, "message");
    CHECK_MSG(message && strstr(message, "cad.export_glb went past its ") &&
                  strstr(message, " file-size limit while") && strstr(message, "disk quota"),
              "%s", message ? message : "(none)");
    CHECK_MSG(message && !strstr(message, srv.data_dir), "the error shows a server path: %s", message);
    json_decref(run);
    free(id);
    /* The server never noticed. */
    long status;
    json_decref(pf_http_json(&srv, "GET", "/api/health", NULL, &status));
    CHECK_INT(status, 200);
    free(quota);
    free(step);
    free(data);
    pf_test_server_stop(&srv);
}

/* Without a quota, the contract's file limit (limits.file_mb, here set
 * lower with --file-limit) bounds a child's files the same way, and the
 * error gives the contract's hint. */
static void test_file_limit(void) {
    expect_limit(
        "--file-limit", "cad=64K", "0.01",
        (const char *const[]){"cad.export_glb went past its 64 KiB file-size limit while", "coarser deflection", NULL},
        "quota");
}

int main(void) {
    test_file_size_limit();
    test_file_limit();
    test_zygote_stopped();
    test_memory_limit();
    test_cpu_limit();
    test_cancel_kills_the_child();
    test_zygote_killed();
    return pf_check_done("isolation");
}
