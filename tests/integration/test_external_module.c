/* An external module, end to end: an operator's contract file names a
 * studio's own Celery task (tests/celery/studio_worker.py, a Python worker
 * started here), and a graph that uses it runs its GLB through that task
 * after a C worker made it. The module shows in the node definitions,
 * stamps the GLB it is given, and every way the task can misbehave (it
 * raises, it forgets an output, it returns one its contract lacks) is a
 * node error that says so; a server without a broker says how to get one. */
#include "check.h"

#include "cad/fixture.h"
#include "core/json.h"
#include "core/mem.h"
#include "core/path.h"
#include "support/python_peer.h"
#include "support/redis.h"
#include "support/server.h"
#include "support/tmpdir.h"
#include "support/workers.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static const char contract[] =
    "{\"module_key\": \"studio.watermark\", \"celery_task\": \"studio.tasks.watermark\", \"queue\": \"studio\",\n"
    " \"label\": \"Watermark\", \"family\": [\"cad_file\"],\n"
    " \"input_contract\": [{\"name\": \"glb\", \"type\": \"glb\", \"required\": true}],\n"
    " \"output_contract\": [{\"name\": \"glb\", \"type\": \"glb\", \"required\": true}],\n"
    " \"param_schema\": {\"type\": \"object\", \"additionalProperties\": false, \"properties\": {\n"
    "   \"text\": {\"type\": \"string\", \"default\": \"(c) Studio\"},\n"
    "   \"mode\": {\"type\": \"string\", \"enum\": [\"stamp\", \"fail\", \"forget\", \"extra\"], \"default\": "
    "\"stamp\"}}},\n"
    " \"field_order\": [\"text\", \"mode\"]}\n";

/* resolve -> glb -> mark, with mark's params. */
static json_t *run_graph(const pf_test_server *srv, const char *mode, const char *text) {
    char *body = pf_asprintf(
        "{\"context\": {\"step_path\": \"part.step\"}, \"workflow\": {\"schema\": \"prodflow.workflow/v1\", "
        "\"id\": \"stamped-intake\", \"name\": \"Stamped intake\", \"family\": \"cad_file\", \"version\": 1, "
        "\"nodes\": [{\"id\": \"resolve\", \"step\": \"cad.resolve_step_path\"}, {\"id\": \"glb\", \"step\": "
        "\"cad.export_glb\"}, {\"id\": \"mark\", \"step\": \"studio.watermark\", \"params\": {\"mode\": \"%s\", "
        "\"text\": \"%s\"}}], \"edges\": [{\"from\": {\"node\": \"resolve\", \"port\": \"step\"}, \"to\": {\"node\": "
        "\"glb\", \"port\": \"step\"}}, {\"from\": {\"node\": \"glb\", \"port\": \"glb\"}, \"to\": {\"node\": "
        "\"mark\", \"port\": \"glb\"}}]}}",
        mode, text);
    long status;
    json_t *r = pf_http_json(srv, "POST", "/api/runs", body, &status);
    free(body);
    CHECK_MSG(status == 202, "POST /api/runs: %ld", status);
    char *path = pf_asprintf("/api/runs/%s", pf_json_str(r, "id") ? pf_json_str(r, "id") : "-");
    json_decref(r);
    json_t *run;
    for (;;) { /* until the run is final */
        run = pf_http_json(srv, "GET", path, NULL, &status);
        const char *s = pf_json_str(run, "status");
        if (status != 200 || !s || (strcmp(s, "running") && strcmp(s, "queued"))) break;
        json_decref(run);
    }
    free(path);
    return run;
}

static const json_t *node_state(const json_t *run, const char *node) {
    return json_object_get(json_object_get(json_object_get(run, "nodes"), node), "state");
}

/* The node failed, and its error says what. */
static void check_failed(const json_t *run, const char *says) {
    const json_t *n = json_object_get(json_object_get(run, "nodes"), "mark");
    CHECK_STR(pf_json_str(n, "status"), "failed");
    const char *msg = pf_json_str(json_object_get(node_state(run, "mark"), "error"), "message");
    CHECK_MSG(msg && strstr(msg, says), "wanted \"%s\" in: %s", says, msg ? msg : "(no error)");
}

static void check_definition(const pf_test_server *srv) {
    long status;
    json_t *defs = pf_http_json(srv, "GET", "/api/workflows/node-definitions?family=cad_file", NULL, &status);
    CHECK_INT(status, 200);
    size_t i;
    const json_t *def, *found = NULL;
    json_array_foreach(json_object_get(defs, "node_definitions"), i, def) {
        if (!strcmp(pf_json_str(def, "step") ? pf_json_str(def, "step") : "", "studio.watermark")) found = def;
    }
    CHECK_MSG(found != NULL, "studio.watermark is among the cad_file node definitions");
    CHECK_STR(pf_json_str(found, "execution"), "celery");
    CHECK_STR(pf_json_str(found, "queue"), "studio");
    CHECK_STR(pf_json_str(found, "celery_task"), "studio.tasks.watermark");
    CHECK(json_is_true(json_object_get(found, "available")));
    json_decref(defs);
}

int main(void) {
    pf_test_redis redis;
    if (pf_test_redis_start(&redis, NULL) != 0) return pf_check_done("external_module");
    char *dir = pf_test_tmpdir("external-module");
    const char *const args[] = {"--no-demo-data", "--broker", redis.url, NULL};
    pf_test_server srv;
    if (pf_test_server_start(&srv, args) != 0) return pf_check_done("external_module");
    char *token = pf_test_token(&srv, (const char *const[]){"worker", NULL});
    char *token_file = pf_asprintf("%s/worker.token", dir);
    CHECK(pf_write_file_atomic(token_file, token, strlen(token)) == NULL);

    /* The operator adds the module and restarts the server. */
    pf_test_server_signal(&srv, SIGTERM);
    char *modules = pf_asprintf("%s/data/modules", srv.data_dir), *file = pf_asprintf("%s/watermark.json", modules);
    char *step = pf_asprintf("%s/data/part.step", srv.data_dir);
    CHECK(pf_mkdirs(modules, 0755) == NULL);
    CHECK(pf_write_file_atomic(file, contract, strlen(contract)) == NULL);
    pf_error *err = pf_cad_make_fixture(step, &(pf_fixture_opts){.bolts = 1});
    CHECK(err == NULL);
    pf_error_free(err);
    CHECK(pf_test_server_restart(&srv, args) == 0);
    check_definition(&srv);

    pf_test_worker cw, py;
    pf_test_worker_start(&cw, "c1", &redis, &srv, token_file, dir);
    char server_env[96], token_env[192];
    snprintf(server_env, sizeof server_env, "PF_SERVER=%s", srv.base);
    snprintf(token_env, sizeof token_env, "PF_TOKEN=%s", token);
    pf_test_python_worker_start(&py, "studio", &redis, "studio_worker", "studio",
                                (const char *const[]){server_env, token_env, NULL});
    pf_peer_output out;
    /* The studio's worker is online (ping retries until it answers). */
    CHECK_INT(pf_test_celery_peer(redis.url, (const char *const[]){"ping", py.name, NULL}, &out), 0);

    /* The GLB a C worker made goes through the studio's task. */
    json_t *run = run_graph(&srv, "stamp", "(c) Studio Test");
    CHECK_STR(pf_json_str(run, "status"), "succeeded");
    const char *made =
        pf_json_str(json_object_get(json_object_get(node_state(run, "glb"), "outputs"), "glb"), "sha256");
    const char *marked =
        pf_json_str(json_object_get(json_object_get(node_state(run, "mark"), "outputs"), "glb"), "sha256");
    CHECK_MSG(made && marked && strcmp(made, marked) != 0, "the stamped GLB is a new file");
    char *blob = pf_asprintf("/api/artifacts/sha256/%s", marked ? marked : "-");
    pf_http_reply reply;
    CHECK(pf_http(&srv, "GET", blob, NULL, 0, NULL, &reply) == 0);
    CHECK_INT(reply.status, 200);
    CHECK_MSG(reply.body && memmem(reply.body, reply.len, "(c) Studio Test", 15), "the GLB carries the copyright");
    CHECK_MSG(reply.len > 12 && !memcmp(reply.body, "glTF", 4), "and is still a GLB");
    pf_http_reply_free(&reply);
    free(blob);
    json_decref(run);

    /* Each way the task can misbehave fails the node, saying how. */
    run = run_graph(&srv, "fail", "a");
    check_failed(run, "out of ink");
    json_decref(run);
    run = run_graph(&srv, "forget", "b");
    check_failed(run, "returned no \"glb\" output");
    json_decref(run);
    run = run_graph(&srv, "extra", "c");
    check_failed(run, "returned an output \"secret\" its contract lacks");
    json_decref(run);

    /* Without a broker the module cannot be sent, and the node says how to fix that. */
    pf_test_server_signal(&srv, SIGTERM);
    CHECK(pf_test_server_restart(&srv, (const char *const[]){"--no-demo-data", NULL}) == 0);
    run = run_graph(&srv, "stamp", "no broker");
    check_failed(run, "--broker");
    json_decref(run);

    pf_test_worker_stop(&py);
    pf_test_worker_stop(&cw);
    pf_test_server_stop(&srv);
    pf_test_redis_stop(&redis);
    free(step);
    free(file);
    free(modules);
    free(token);
    free(token_file);
    free(dir);
    return pf_check_done("external_module");
}
