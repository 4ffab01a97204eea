/* Runs: start one from a stored or starter workflow (or an inline one),
 * list them, inspect one with its nodes, cancel and re-run; and the assets
 * runs published. */
#include "api/items.h"
#include "api/links.h"
#include "api/quota.h"
#include "api/router.h"
#include "core/json.h"

#include "catalog/order.h"
#include "contract/contract.h"
#include "core/clock.h"
#include "core/mem.h"
#include "runtime/artifact_store.h"
#include "runtime/parity.h"
#include "workflow/workflow.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The workflow a run request names: inline (it has nodes), stored (by id and
 * optional version), or a starter by id. New reference, or NULL with *err. */
static json_t *requested_workflow(const pf_app *app, const json_t *ref, pf_error **err) {
    *err = NULL;
    if (json_object_get(ref, "nodes")) return json_incref((json_t *)ref);
    const char *id = pf_json_str(ref, "id");
    if (!id) {
        *err = pf_error_new(PF_EINVAL, "/workflow", "name a workflow by {\"id\", \"version\"} or give it whole");
        return NULL;
    }
    json_t *doc = NULL;
    pf_error *e =
        pf_workflow_find(app->store, app->starters, id, (int)json_integer_value(json_object_get(ref, "version")), &doc);
    if (!e) return doc;
    *err = pf_error_new(e->code, "/workflow/id", "%s", e->message);
    pf_error_free(e);
    return NULL;
}

/* The overrides of `from` for parameters the workflow declares (the trial
 * may run another workflow than the line's output type), leaving out those
 * named in `except`. New reference. */
static json_t *declared(const json_t *from, const json_t *workflow, const json_t *except) {
    const json_t *params = json_object_get(json_object_get(workflow, "invocation"), "params");
    json_t *kept = json_object();
    const char *name;
    json_t *value;
    json_object_foreach((json_t *)from, name, value) {
        if (json_object_get(params, name) && !json_object_get(except, name)) json_object_set(kept, name, value);
    }
    return kept;
}

/* A trial's overrides are what the line's dispatch would send (its output
 * type's, then the line's own), with the request's on top: the request's go
 * into *overrides with the output type's, and take their names out of the
 * line's, which would otherwise win. */
static void trial_overrides(const json_t *line, const json_t *workflow, const json_t *requested, json_t **overrides,
                            json_t **line_overrides) {
    const json_t *type = json_object_get(line, "output_type");
    *overrides = declared(json_object_get(type, "overrides"), workflow, NULL);
    json_object_update(*overrides, (json_t *)requested);
    *line_overrides = declared(json_object_get(line, "overrides"), workflow, requested);
}

/* A run that names an order line as its subject and brings no context (the
 * editor's trial of an order workflow): its context is the line as dispatch
 * loads it, through the workflow family's order_context, so the entry node
 * sees what a dispatched run would, and its overrides are the line's (see
 * trial_overrides). The line's status and runs stay as they are: this run
 * is not the line's production, and it must be a shadow. *out stays NULL
 * for any other request. */
static pf_error *order_line_context(const pf_app *app, const json_t *body, const json_t *workflow, json_t **out,
                                    json_t **overrides, json_t **line_overrides) {
    *out = NULL;
    const json_t *line_id = json_object_get(json_object_get(body, "subject"), "order_line");
    if (!line_id || json_object_get(body, "context")) return NULL;
    if (!json_is_string(line_id))
        return pf_error_new(PF_EINVAL, "/subject/order_line", "order_line is the id of an order line");
    /* A trial publishes and notifies nothing, and the index that keeps a
     * line's production to one live run passes it only as a shadow. */
    const char *mode = pf_json_str(json_object_get(body, "subject"), "mode");
    if (!json_is_true(json_object_get(body, "shadow")) || !mode || strcmp(mode, "shadow") != 0)
        return pf_error_new(PF_EINVAL, "/shadow",
                            "a run for an order line outside its dispatch is a trial: send \"shadow\": true and the "
                            "subject's \"mode\": \"shadow\"");
    const char *family_key = pf_json_str(workflow, "family");
    const pf_family *family = family_key ? pf_contract_family(&app->registry->contract, family_key) : NULL;
    if (!family) return pf_error_new(PF_EINVAL, "/workflow/family", "the workflow names no family this server has");
    pf_catalog c = pf_app_catalog(app);
    json_t *line = NULL;
    pf_error *err = pf_order_line_load(&c, json_string_value(line_id), &line);
    if (err) {
        pf_error *e = pf_error_new(PF_EINVAL, "/subject/order_line", "order line \"%s\": %s",
                                   json_string_value(line_id), err->message);
        pf_error_free(err);
        return e;
    }
    json_t *line_context = pf_order_line_context(line);
    trial_overrides(line, workflow, json_object_get(body, "overrides"), overrides, line_overrides);
    pf_errors errs;
    pf_errors_init(&errs);
    *out = pf_family_order_context(family, line_context, &errs);
    if (!*out)
        err = pf_error_new(PF_EINVAL, "/workflow/family", "%s",
                           errs.len ? errs.items[0].message : "the family cannot run for an order line");
    pf_errors_clear(&errs);
    json_decref(line_context);
    json_decref(line);
    return err;
}

/* The shape of a run request, before anything is looked up: a field of the
 * wrong type is refused with its pointer, never read as "not given" (an
 * "overrides": null would otherwise run without them, and a version of 2.0
 * or 1e308 would silently run the latest version). */
static void check_run_request(const json_t *body, pf_errors *errs) {
    if (!json_is_object(body)) {
        pf_errors_add(errs, PF_EINVAL, "", "a run request is a JSON object");
        return;
    }
    const json_t *workflow = json_object_get(body, "workflow");
    if (!json_is_object(workflow))
        pf_errors_add(errs, PF_EINVAL, "/workflow",
                      "workflow is an object: {\"id\", \"version\"} of a stored workflow, or a whole workflow");
    const json_t *version = json_object_get(workflow, "version");
    if (version && !json_object_get(workflow, "nodes") &&
        (!json_is_integer(version) || json_integer_value(version) < 1 || json_integer_value(version) > INT_MAX))
        pf_errors_add(errs, PF_EINVAL, "/workflow/version",
                      "version is a whole number from 1 to %d (leave it out for the latest version)", INT_MAX);
    static const char *const objects[] = {"context", "overrides", "line_overrides"};
    for (size_t i = 0; i < sizeof objects / sizeof *objects; i++) {
        const json_t *v = json_object_get(body, objects[i]);
        char pointer[32];
        snprintf(pointer, sizeof pointer, "/%s", objects[i]);
        if (v && !json_is_object(v))
            pf_errors_add(errs, PF_EINVAL, pointer, "%s is a JSON object; leave it out for none", objects[i]);
    }
    const json_t *shadow = json_object_get(body, "shadow");
    if (shadow && !json_is_boolean(shadow)) pf_errors_add(errs, PF_EINVAL, "/shadow", "shadow is true or false");
}

void pf_handle_run_create(const pf_app *app, const pf_request *req, pf_response *res) {
    if (!pf_quota_admit(app, req, res)) return;
    json_t *body = pf_request_json(req, res);
    if (!body) return;
    pf_errors shape;
    pf_errors_init(&shape);
    check_run_request(body, &shape);
    if (shape.len) {
        pf_respond_problem(res, 422, "Invalid run request",
                           shape.len == 1 ? shape.items[0].message : "the run request has several problems", req->path,
                           &shape);
        pf_errors_clear(&shape);
        json_decref(body);
        return;
    }
    pf_errors_clear(&shape);
    pf_error *err = NULL;
    json_t *workflow = requested_workflow(app, json_object_get(body, "workflow"), &err);
    if (err) {
        pf_respond_error_take(res, req, err);
        json_decref(body);
        return;
    }
    json_t *line_context = NULL, *overrides = NULL, *line_overrides = NULL;
    err = order_line_context(app, body, workflow, &line_context, &overrides, &line_overrides);
    if (err) {
        pf_respond_error_take(res, req, err);
        json_decref(overrides);
        json_decref(line_overrides);
        json_decref(workflow);
        json_decref(body);
        return;
    }
    pf_run_request run = {.workflow = workflow,
                          .context = line_context ? line_context : json_object_get(body, "context"),
                          .overrides = overrides ? overrides : json_object_get(body, "overrides"),
                          .line_overrides = line_overrides ? line_overrides : json_object_get(body, "line_overrides"),
                          .subject = json_object_get(body, "subject"),
                          .shadow = json_is_true(json_object_get(body, "shadow"))};
    pf_errors errs;
    pf_errors_init(&errs);
    char *id = NULL;
    err = pf_runtime_submit(app->runtime, &run, &errs, &id);
    if (err && errs.len) {
        pf_respond_problem(res, 422, "Invalid run request", err->message, req->path, &errs);
    } else if (err) {
        pf_respond_error(res, req, err);
    } else {
        res->location = pf_asprintf("/api/runs/%s", id);
        pf_respond_json(res, 202, json_pack("{s:s, s:s, s:s}", "id", id, "status", "running", "href", res->location));
    }
    pf_error_free(err);
    pf_errors_clear(&errs);
    free(id);
    json_decref(line_context);
    json_decref(overrides);
    json_decref(line_overrides);
    json_decref(workflow);
    json_decref(body);
}

/* True when some string field of the subject equals value. */
static bool subject_mentions(const json_t *subject, const char *value) {
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)subject, k,
                        v) if (json_is_string(v) && strcmp(json_string_value(v), value) == 0) return true;
    return json_is_string(subject) && strcmp(json_string_value(subject), value) == 0;
}

void pf_handle_run_list(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *list = NULL;
    pf_error *err = pf_store_run_list(app->store, req->query(req, "status"), &list);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    const char *subject = req->query(req, "subject"), *output_type = req->query(req, "output_type");
    json_t *kept = json_array();
    size_t i;
    json_t *run;
    json_array_foreach(list, i, run) {
        const json_t *s = json_object_get(run, "subject");
        if (subject && !subject_mentions(s, subject)) continue;
        const char *ot = json_string_value(json_object_get(s, "output_type"));
        if (output_type && (!ot || strcmp(ot, output_type) != 0)) continue;
        json_array_append(kept, run);
    }
    json_decref(list);
    pf_respond_json(res, 200, json_pack("{s:o}", "runs", kept));
}

/* Files under the data directory are named relative to it, as the API
 * takes them: clients need not know where the server keeps its data. */
static void relative_paths(json_t *doc, const char *data_dir) {
    size_t n = strlen(data_dir);
    const char *key;
    json_t *v;
    size_t i;
    if (json_is_array(doc)) json_array_foreach(doc, i, v) relative_paths(v, data_dir);
    if (!json_is_object(doc)) return;
    json_object_foreach(doc, key, v) {
        size_t k = strlen(key);
        const char *s = json_string_value(v);
        if (s && k >= 4 && !strcmp(key + k - 4, "path") && !strncmp(s, data_dir, n) && s[n] == '/' && s[n + 1])
            json_string_set(v, s + n + 1);
        else
            relative_paths(v, data_dir);
    }
}

void pf_handle_run_get(const pf_app *app, const pf_request *req, pf_response *res) {
    const char *id = pf_request_param(req, "id");
    json_t *run = NULL;
    pf_error *err = pf_store_run_get(app->store, id, true, &run);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    /* The store records a node when it finishes; what runs now is in memory. */
    json_t *live = pf_runtime_live(app->runtime, id);
    const char *node_id;
    json_t *now;
    json_object_foreach(live, node_id, now) {
        json_t *node = json_object_get(json_object_get(run, "nodes"), node_id);
        if (!node) continue;
        json_object_set(node, "status", json_object_get(now, "status"));
        json_object_del(now, "status");
        json_object_set(node, "progress", now);
    }
    json_decref(live);
    relative_paths(run, app->data_dir);
    pf_respond_json(res, 200, run);
}

static void act(const pf_app *app, const pf_request *req, pf_response *res, bool rerun) {
    if (rerun && !pf_quota_admit(app, req, res)) return; /* a cancel frees, it never waits on the quota */
    const char *id = pf_request_param(req, "id");
    pf_error *err = rerun ? pf_runtime_rerun(app->runtime, id) : pf_runtime_cancel(app->runtime, id);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_respond_json(res, 202, json_pack("{s:s, s:s}", "id", id, "status", rerun ? "running" : "cancelling"));
}

void pf_handle_run_cancel(const pf_app *app, const pf_request *req, pf_response *res) { act(app, req, res, false); }
void pf_handle_run_rerun(const pf_app *app, const pf_request *req, pf_response *res) { act(app, req, res, true); }

void pf_handle_asset_list(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *list = NULL;
    pf_error *err = pf_store_asset_list(app->store, req->query(req, "run"), &list);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    relative_paths(list, app->data_dir);
    /* A link for customers, who hold no token: signed, expiring. */
    pf_link_assets(app->link_key, list, (long long)time(NULL));
    pf_respond_json(res, 200, json_pack("{s:o}", "assets", list));
}

void pf_handle_run_parity(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *report = NULL;
    pf_parity_env env = {.store = app->store, .data_dir = app->data_dir, .share_dir = app->share_dir};
    pf_error *err = pf_parity_report(&env, pf_request_param(req, "id"), &report);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_respond_json(res, 200, report);
}

/* Whether the report names digest as one of its diff images. */
static bool names_diff(const json_t *report, const char *digest) {
    size_t i;
    const json_t *a;
    json_array_foreach(json_object_get(report, "artifacts"), i, a) {
        const char *sha = json_string_value(json_object_get(json_object_get(a, "diff_image"), "sha256"));
        if (sha && strcmp(sha, digest) == 0) return true;
    }
    return false;
}

/* A diff image, only as the pair's report names it: the route reads the
 * artifact store, which is the worker role's otherwise. */
void pf_handle_run_parity_diff(const pf_app *app, const pf_request *req, pf_response *res) {
    const char *digest = pf_request_param(req, "digest");
    json_t *report = NULL;
    pf_parity_env env = {.store = app->store, .data_dir = app->data_dir, .share_dir = app->share_dir};
    pf_error *err = pf_parity_report(&env, pf_request_param(req, "id"), &report);
    if (!err && !names_diff(report, digest))
        err = pf_error_new(PF_ENOTFOUND, "/path/digest", "the parity report of run %s names no diff image %s",
                           pf_request_param(req, "id"), digest);
    json_decref(report);
    char *path = err ? NULL : pf_artifact_store_path(app->data_dir, digest);
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    free(path);
    struct stat st;
    if (!err && (fd < 0 || fstat(fd, &st) != 0))
        err = pf_error_new(PF_ENOTFOUND, "/path/digest", "the diff image %s is gone from the artifact store", digest);
    if (err) {
        if (fd >= 0) close(fd);
        pf_respond_error(res, req, err);
        pf_error_free(err);
        return;
    }
    pf_respond_file(res, req, fd, (uint64_t)st.st_size, "image/png", digest);
}
