/* Submitting a run: checks, canonical record, the run row, and the
 * graph handed to the scheduler. */
#include "runtime/runtime_internal.h"

#include "core/id.h"
#include "core/json_text.h"
#include "core/mem.h"
#include "core/regex.h"
#include "runtime/params.h"
#include "workflow/workflow.h"

#include <stdlib.h>

/* A large workflow's submit shares its work with a second thread: it
 * validates the workflow while this one canonicalises it and writes the
 * run's record, then builds the run's graph while this one stores the
 * record. Below this many nodes a thread costs more than it saves. */
#define SUBMIT_AID_MIN_NODES 512

typedef struct {
    const pf_registry *reg;
    const json_t *workflow;
    pf_errors found;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool validated;
    bool released; /* id and record are set */
    const char *id;
    json_t *record;
    rt_run *run;
    pthread_t thread;
} submit_aid;

static void *submit_aid_main(void *arg) {
    submit_aid *a = arg;
    pthread_setname_np(pthread_self(), "pf-run-submit");
    pf_workflow_validate(a->reg, a->workflow, &a->found);
    pthread_mutex_lock(&a->lock);
    a->validated = true;
    pthread_cond_broadcast(&a->cond);
    while (!a->released)
        pthread_cond_wait(&a->cond, &a->lock);
    pthread_mutex_unlock(&a->lock);
    if (a->found.len == 0) a->run = rt_run_build(a->reg, a->id, a->record, NULL);
    return NULL;
}

static bool submit_aid_start(submit_aid *a, const pf_registry *reg, const json_t *workflow) {
    if (!json_is_object(workflow) || json_array_size(json_object_get(workflow, "nodes")) < SUBMIT_AID_MIN_NODES)
        return false;
    *a = (submit_aid){.reg = reg, .workflow = workflow};
    pf_errors_init(&a->found);
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->cond, NULL);
    if (pthread_create(&a->thread, NULL, submit_aid_main, a) == 0) return true;
    pthread_cond_destroy(&a->cond);
    pthread_mutex_destroy(&a->lock);
    return false;
}

static void submit_aid_wait_validated(submit_aid *a) {
    pthread_mutex_lock(&a->lock);
    while (!a->validated)
        pthread_cond_wait(&a->cond, &a->lock);
    pthread_mutex_unlock(&a->lock);
}

/* Hands over the run's id and record: the other thread builds the run's
 * graph from them (a->run, which then owns the record) once the workflow
 * proved valid. From here the record is only read, by both threads. */
static void submit_aid_release(submit_aid *a, const char *id, json_t *record) {
    pthread_mutex_lock(&a->lock);
    a->released = true, a->id = id, a->record = record;
    pthread_cond_broadcast(&a->cond);
    pthread_mutex_unlock(&a->lock);
}

static rt_run *submit_aid_join(submit_aid *a) {
    pthread_join(a->thread, NULL);
    pthread_cond_destroy(&a->cond);
    pthread_mutex_destroy(&a->lock);
    pf_errors_clear(&a->found);
    return a->run;
}

/* The run's record: the canonical workflow (taken), the context, the
 * overrides, the shadow and parity flags, as the run row stores it. */
static json_t *run_record(const pf_run_request *req, json_t *workflow) {
    json_t *record = json_pack("{s:o, s:o, s:o, s:o, s:b}", "workflow", workflow, "context",
                               req->context ? json_incref((json_t *)req->context) : json_object(), "overrides",
                               req->overrides ? json_incref((json_t *)req->overrides) : json_object(), "line_overrides",
                               req->line_overrides ? json_incref((json_t *)req->line_overrides) : json_object(),
                               "shadow", req->shadow);
    if (req->parity) json_object_set_new(record, "parity", json_true());
    if (json_object_size(json_object_get(req->constraints, "modules")))
        json_object_set_new(record, "constraints", json_deep_copy(req->constraints));
    return record;
}

/* The checks after the workflow's own: the context against the family's
 * schema and the overrides against the invocation contract. */
static pf_error *check_request(pf_runtime *rt, const pf_run_request *req, const json_t *context, pf_errors *errs,
                               size_t before) {
    const pf_family *family = pf_contract_family(&rt->cfg.registry->contract, str(req->workflow, "family"));
    long pattern_budget = PF_REGEX_BUDGET;
    if (family && family->context_schema)
        pf_schema_validate_paid(family->context_schema, context, "/context", errs, &pattern_budget);
    pf_params_check_overrides(req->workflow, req->overrides, "/overrides", errs, &pattern_budget);
    pf_params_check_overrides(req->workflow, req->line_overrides, "/line_overrides", errs, &pattern_budget);
    if (errs->len == before) return NULL;
    return pf_error_new(PF_EINVAL, "", "the run request has %zu problem%s", errs->len - before,
                        errs->len - before == 1 ? "" : "s");
}

/* Adds the workflow's problems to errs under /workflow. */
static pf_error *workflow_problems(const pf_errors *found, pf_errors *errs) {
    for (size_t i = 0; i < found->len; i++) {
        char *ptr = pf_asprintf("/workflow%s", found->items[i].pointer);
        pf_errors_add(errs, found->items[i].code, ptr, "%s", found->items[i].message);
        free(ptr);
    }
    return found->len ? pf_error_new(PF_EINVAL, "/workflow", "the workflow is not valid") : NULL;
}

static char *new_run_id(const pf_run_request *req) {
    char idbuf[PF_ID_MAX];
    pf_id_new("run", idbuf);
    return pf_strdup(req->id ? req->id : idbuf);
}

pf_error *pf_runtime_submit(pf_runtime *rt, const pf_run_request *req, pf_errors *errs, char **run_id) {
    *run_id = NULL;
    size_t before = errs->len;
    submit_aid aid;
    bool aided = submit_aid_start(&aid, rt->cfg.registry, req->workflow);
    pf_error *err = NULL;
    json_t *record = NULL, *doc_text = NULL;
    char *id = NULL;
    if (aided) {
        /* While the other thread validates, this one prepares the run as if
         * the request were valid: canonical workflow (which needs no valid
         * document), record and its text. All is dropped if it is not. */
        record = run_record(req, pf_workflow_canonicalize(rt->cfg.registry, req->workflow));
        id = new_run_id(req);
        submit_aid_release(&aid, id, record);
        char *text = pf_json_text(record, false);
        doc_text = json_stringn_nocheck(text, strlen(text));
        free(text);
        submit_aid_wait_validated(&aid);
        err = workflow_problems(&aid.found, errs);
    } else {
        pf_errors found;
        pf_errors_init(&found);
        pf_workflow_validate(rt->cfg.registry, req->workflow, &found);
        err = workflow_problems(&found, errs);
        pf_errors_clear(&found);
    }
    if (!err) {
        json_t *context = req->context ? json_incref((json_t *)req->context) : json_object();
        err = check_request(rt, req, context, errs, before);
        json_decref(context);
    }
    if (err) {
        if (aided) {
            rt_run *unused = submit_aid_join(&aid);
            if (unused)
                rt_run_free(unused); /* with the record */
            else
                json_decref(record);
        }
        json_decref(doc_text);
        free(id);
        return err;
    }
    if (!record) {
        record = run_record(req, pf_workflow_canonicalize(rt->cfg.registry, req->workflow));
        id = new_run_id(req);
    }
    const json_t *workflow = json_object_get(record, "workflow");
    json_t *row =
        json_pack("{s:s, s:s?, s:O?, s:s, s:s, s:O?, s:O, s:o?}", "id", id, "workflow_id", str(workflow, "id"),
                  "workflow_version", json_object_get(workflow, "version"), "family", str(workflow, "family"), "status",
                  "running", "subject", req->subject, "doc", record, "doc_text", doc_text);
    if (rt->cfg.lease_seconds > 0) { /* this server schedules it: it holds the lease from the start */
        json_object_set_new(row, "lease_owner", json_string(rt->cfg.lease_owner));
        json_object_set_new(row, "lease_seconds", json_integer(rt->cfg.lease_seconds));
    }
    err = pf_store_run_create(rt->cfg.store, row);
    json_decref(row);
    rt_run *run = aided ? submit_aid_join(&aid) : NULL; /* it owns the record */
    if (err) {
        if (run)
            rt_run_free(run);
        else
            json_decref(record);
        free(id);
        return err;
    }
    if (!run) run = rt_run_build(rt->cfg.registry, id, record, NULL);
    if (rt->cfg.lease_seconds > 0) run->epoch = 1; /* the epoch a run is created at (store.h) */
    pthread_mutex_lock(&rt->lock);
    rt_schedule_locked(rt, run);
    rt_free_retired_locked(rt);
    pthread_mutex_unlock(&rt->lock);
    *run_id = id;
    return NULL;
}
