/* Runs through the HTTP API of a real `prodflow serve`, on the CAD Intake
 * starter with the real modules (OCCT, and Blender for the thumbnail):
 * start, inspect, cache verdicts on a second run, clear errors for bad
 * requests, and a kill -9 in the middle of a run followed by a restart that
 * finishes it without redoing what was done. */
#include "check.h"

#include "cad/fixture.h"
#include "core/mem.h"
#include "support/server.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *str(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static json_t *call(const pf_test_server *srv, const char *method, const char *path, const char *body, long *status) {
    pf_http_reply r;
    json_t *doc = NULL;
    *status = 0;
    if (pf_http(srv, method, path, body, body ? strlen(body) : 0, NULL, &r) == 0) {
        *status = r.status;
        doc = json_incref(r.json);
        pf_http_reply_free(&r);
    }
    return doc;
}

static char *start_run(const pf_test_server *srv, const char *body) {
    long status;
    json_t *r = call(srv, "POST", "/api/runs", body, &status);
    CHECK_INT(status, 202);
    char *id = str(r, "id") ? pf_strdup(str(r, "id")) : NULL;
    json_decref(r);
    return id;
}

/* Polls until the run is final (or a node is running, with until_running). */
static json_t *poll_run(const pf_test_server *srv, const char *id, const char *until_running) {
    char *path = pf_asprintf("/api/runs/%s", id);
    json_t *run = NULL;
    for (int i = 0; i < 2400; i++) {
        long status;
        json_decref(run);
        run = call(srv, "GET", path, NULL, &status);
        const char *s = str(run, "status");
        if (until_running) {
            const char *node = str(json_object_get(json_object_get(run, "nodes"), until_running), "status");
            if (node && strcmp(node, "running") == 0) break;
        } else if (s && strcmp(s, "running") != 0) {
            break;
        }
        usleep(50000);
    }
    free(path);
    return run;
}

static const json_t *state(const json_t *run, const char *node, const char *field) {
    return json_object_get(json_object_get(json_object_get(json_object_get(run, "nodes"), node), "state"), field);
}

static const char *node_status(const json_t *run, const char *node) {
    return str(json_object_get(json_object_get(run, "nodes"), node), "status");
}

static void expect_problem(const pf_test_server *srv, const char *body, long want, const char *pointer) {
    pf_http_reply r;
    CHECK(pf_http(srv, "POST", "/api/runs", body, strlen(body), NULL, &r) == 0);
    CHECK_INT(r.status, want);
    CHECK_STR(r.content_type, "application/problem+json");
    const json_t *first = json_array_get(json_object_get(r.json, "errors"), 0);
    CHECK_MSG(str(first, "pointer") && strcmp(str(first, "pointer"), pointer) == 0, "wanted %s in %s", pointer,
              r.body);
    pf_http_reply_free(&r);
}

int main(void) {
    pf_test_server srv;
    if (pf_test_server_start(&srv, NULL) != 0) return pf_check_done("api_runs");
    char *step = pf_asprintf("%s/data/gearbox.step", srv.data_dir);
    pf_fixture_opts fo = {.bolts = 4};
    pf_error *err = pf_cad_make_fixture(step, &fo);
    CHECK(err == NULL);
    pf_error_free(err);

    const char *intake = "{\"workflow\": {\"id\": \"starter-cad-intake\"}, \"context\": {\"step_path\": \"gearbox.step\"}}";
    char *first = start_run(&srv, intake);
    json_t *run = poll_run(&srv, first, NULL);
    CHECK_STR(str(run, "status"), "succeeded");
    const char *glb = str(json_object_get(state(run, "glb", "outputs"), "glb"), "path");
    CHECK_MSG(glb && strstr(glb, "/artifacts/sha256/") && access(glb, R_OK) == 0, "glb at %s", glb ? glb : "?");
    CHECK(access(str(json_object_get(state(run, "thumbnail", "outputs"), "image"), "path"), R_OK) == 0);
    CHECK_STR(str(json_object_get(state(run, "glb", "param_sources"), "linear_deflection"), "source"), "default");
    json_decref(run);

    /* The same intake with another deflection: the mesh-dependent nodes miss with their reason, the rest hit. */
    char *second = start_run(&srv, "{\"workflow\": {\"id\": \"starter-cad-intake\"}, \"context\": "
                                    "{\"step_path\": \"gearbox.step\"}, \"overrides\": {\"deflection\": 0.25}}");
    run = poll_run(&srv, second, NULL);
    CHECK_STR(str(run, "status"), "succeeded");
    CHECK(json_is_true(json_object_get(state(run, "extract", "cache"), "hit")));
    const json_t *verdict = state(run, "glb", "cache");
    CHECK_STR(str(verdict, "reason"), "params changed");
    CHECK_STR(json_string_value(json_array_get(json_object_get(verdict, "changed"), 0)), "linear_deflection");
    CHECK_STR(str(json_object_get(state(run, "glb", "param_sources"), "linear_deflection"), "source"), "invocation");
    json_decref(run);

    long status;
    json_t *list = call(&srv, "GET", "/api/runs?status=succeeded", NULL, &status);
    CHECK_INT(status, 200);
    CHECK_INT(json_array_size(json_object_get(list, "runs")), 2);
    json_decref(list);
    char *cancel = pf_asprintf("/api/runs/%s/cancel", first);
    json_decref(call(&srv, "POST", cancel, "{}", &status));
    CHECK_INT(status, 409); /* it is over */
    free(cancel);

    /* Bad requests: every problem named by its pointer. */
    expect_problem(&srv, "{\"workflow\": {\"id\": \"starter-cad-intake\"}, \"context\": {}}", 422, "/context");
    expect_problem(&srv, "{\"workflow\": {\"id\": \"no-such-flow\"}}", 404, "/workflow/id");
    expect_problem(&srv,
                   "{\"workflow\": {\"id\": \"starter-cad-intake\"}, \"context\": {\"step_path\": \"gearbox.step\"}, "
                   "\"overrides\": {\"colour\": 3}}",
                   422, "/overrides/colour");

    /* kill -9 while the thumbnail renders (a big one, so it is caught running);
     * a restart resumes the run and finishes it. */
    json_t *starters = call(&srv, "GET", "/api/workflows/starters?family=cad_file", NULL, &status);
    json_t *flow = json_deep_copy(json_array_get(json_object_get(starters, "starters"), 0));
    size_t i;
    json_t *node;
    json_array_foreach(json_object_get(flow, "nodes"), i, node)
        if (strcmp(str(node, "id"), "thumbnail") == 0)
            json_object_set_new(node, "params", json_pack("{s:i, s:i}", "size", 768, "samples", 64));
    json_t *request = json_pack("{s:o, s:{s:s}}", "workflow", flow, "context", "step_path", "gearbox.step");
    char *body = json_dumps(request, 0);
    char *third = start_run(&srv, body);
    free(body);
    json_decref(request);
    json_decref(starters);
    run = poll_run(&srv, third, "thumbnail");
    CHECK_STR(node_status(run, "thumbnail"), "running");
    json_decref(run);
    pf_test_server_crash(&srv);
    CHECK(pf_test_server_restart(&srv, NULL) == 0);
    run = poll_run(&srv, third, NULL);
    CHECK_STR(str(run, "status"), "succeeded");
    CHECK_STR(node_status(run, "thumbnail"), "succeeded");
    /* what finished before the crash was kept, not redone */
    CHECK_INT(json_array_size(state(run, "glb", "attempts")), json_is_true(json_object_get(state(run, "glb", "cache"), "hit")) ? 0 : 1);
    CHECK_INT(json_array_size(state(run, "thumbnail", "attempts")), 1);
    json_decref(run);

    free(first);
    free(second);
    free(third);
    free(step);
    pf_test_server_stop(&srv);
    return pf_check_done("api_runs");
}
