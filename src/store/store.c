#include "store/store_backend.h"

#include "core/json_text.h"
#include "core/mem.h"
#include "core/metrics.h"

#include <string.h>

static bool is_postgres(const char *location) {
    return strncmp(location, "postgres://", 11) == 0 || strncmp(location, "postgresql://", 13) == 0;
}

/* The SQLite file a location names: "sqlite:PATH", or DIR/prodflow.db. */
static char *sqlite_path(const char *location) {
    if (strncmp(location, "sqlite:", 7) == 0) return pf_strdup(location + 7);
    return pf_asprintf("%s/prodflow.db", location);
}

/* Failures of the database itself (not a missing item or a conflict, which
 * are answers) are counted for /metrics. */
static pf_error *counted(pf_store *s, pf_error *err) {
    if (err &&
        (err->code == PF_EIO || err->code == PF_EUNAVAILABLE || err->code == PF_ETIMEOUT || err->code == PF_EINTERNAL))
        pf_counter_add(&s->errors[err->code < PF_STORE_ERROR_CODES ? err->code : 0], 1);
    return err;
}

void pf_store_metrics_write(const pf_store *s, FILE *out) {
    pf_metrics_header(out, "prodflow_store_errors_total", "counter",
                      "Store calls that failed in the database (I/O, unavailable, timeout, internal), by error code");
    static const pf_code codes[] = {PF_EIO, PF_EUNAVAILABLE, PF_ETIMEOUT, PF_EINTERNAL};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        char l[64];
        snprintf(l, sizeof l, "backend=\"%s\",code=\"%s\"", s->ops->name, pf_code_name(codes[i]));
        pf_metrics_sample(out, "prodflow_store_errors_total", l, (double)pf_counter_get(&s->errors[codes[i]]));
    }
}

char *pf_store_ref_pointer(const pf_store_ref *ref) {
    char *at = pf_asprintf("/%s", ref->field ? ref->field : "");
    for (char *p = at; *p; p++)
        if (*p == '.') *p = '/';
    return at;
}

char *pf_store_doc_text(const json_t *doc) {
    if (!doc) return NULL;
    json_t *copy = json_copy((json_t *)doc);
    json_object_del(copy, "created_at");
    json_object_del(copy, "updated_at");
    json_object_del(copy, "revision");
    char *text = pf_json_text(copy, false);
    json_decref(copy);
    return text;
}

pf_error *pf_store_open(const char *location, pf_store **out) {
    *out = NULL;
    if (is_postgres(location)) return pf_store_pg_open(location, out);
    char *path = sqlite_path(location);
    pf_error *err = pf_store_sqlite_open(path, out);
    free(path);
    return err;
}

pf_error *pf_store_migrate_to(const char *location, int target_version, bool dry_run, json_t **report) {
    if (is_postgres(location)) return pf_store_pg_migrate(location, target_version, dry_run, report);
    char *path = sqlite_path(location);
    pf_error *err = pf_store_sqlite_migrate(path, target_version, dry_run, report);
    free(path);
    return err;
}

pf_error *pf_store_migrate(const char *location, bool dry_run, json_t **report) {
    return pf_store_migrate_to(location, 0, dry_run, report);
}

void pf_store_close(pf_store *s) {
    if (s) s->ops->close(s);
}
pf_error *pf_store_probe_write(pf_store *s) { return counted(s, s->ops->probe_write(s)); }
int pf_store_schema_version(pf_store *s) { return s->ops->schema_version(s); }
const char *pf_store_backend(const pf_store *s) { return s->ops->name; }

pf_error *pf_store_workflow_save(pf_store *s, const json_t *doc, int expected_version, bool create_only,
                                 json_t **stored_out) {
    return counted(s, s->ops->workflow_save(s, doc, expected_version, create_only, stored_out));
}
pf_error *pf_store_save_check(const pf_store_save *a, const char *id, int latest, bool deleted) {
    if (a->create_only && latest && !deleted)
        return pf_error_new(PF_ECONFLICT, "/id", "workflow \"%s\" already exists", id);
    if (!a->create_only && (!latest || deleted))
        return pf_error_new(PF_ENOTFOUND, "/id", "workflow \"%s\" does not exist", id);
    if (a->expected && a->expected != latest)
        return pf_error_new(PF_ECONFLICT, "/version",
                            "workflow \"%s\" is at version %d, not %d: someone saved it meanwhile; reload and retry",
                            id, latest, a->expected);
    return NULL;
}
pf_error *pf_store_workflow_get(pf_store *s, const char *id, int version, json_t **doc_out) {
    return counted(s, s->ops->workflow_get(s, id, version, doc_out));
}
pf_error *pf_store_workflow_list(pf_store *s, const char *family, json_t **list_out) {
    return counted(s, s->ops->workflow_list(s, family, list_out));
}
pf_error *pf_store_workflow_versions(pf_store *s, const char *id, json_t **list_out) {
    pf_error *err = counted(s, s->ops->workflow_versions(s, id, list_out));
    if (!err && json_array_size(*list_out) == 0) { /* a workflow has a version from its first save */
        json_decref(*list_out);
        *list_out = NULL;
        err = pf_error_new(PF_ENOTFOUND, "", "workflow \"%s\" does not exist", id);
    }
    return err;
}
pf_error *pf_store_workflow_delete(pf_store *s, const char *id) {
    return counted(s, s->ops->workflow_delete(s, id, NULL, 0));
}
pf_error *pf_store_workflow_delete_unreferred(pf_store *s, const char *id, const pf_store_ref *refs, size_t n_refs) {
    return counted(s, s->ops->workflow_delete(s, id, refs, n_refs));
}

pf_error *pf_store_run_create(pf_store *s, const json_t *run) { return counted(s, s->ops->run_create(s, run)); }
pf_error *pf_store_run_transition(pf_store *s, const char *run_id, const char *run_status, const json_t *run_doc,
                                  const char *node_id, const char *node_status, const json_t *node_state,
                                  const pf_store_node_extras *extras) {
    pf_store_transition t = {.run_id = run_id,
                             .run_status = run_status,
                             .node_id = node_id,
                             .node_status = node_status,
                             .run_doc = run_doc,
                             .node_state = node_state,
                             .extras = extras};
    return counted(s, s->ops->run_transitions(s, &t, 1));
}
pf_error *pf_store_run_transitions(pf_store *s, const pf_store_transition *items, size_t n) {
    return counted(s, s->ops->run_transitions(s, items, n));
}
pf_error *pf_store_run_fence_held(pf_store *s, const char *run_id, const pf_store_fence *fence, bool *held) {
    *held = false;
    return counted(s, s->ops->run_fence_held(s, run_id, fence, held));
}

pf_error *pf_store_effect_claim(pf_store *s, const char *run_id, const char *node_id, const char *key,
                                const pf_store_fence *fence, json_t **claim_out) {
    *claim_out = NULL;
    return counted(s, s->ops->effect_claim(s, run_id, node_id, key, fence, claim_out));
}
pf_error *pf_store_effect_done(pf_store *s, const char *run_id, const char *node_id, const char *key,
                               const json_t *result) {
    return counted(s, s->ops->effect_done(s, run_id, node_id, key, result));
}

/* A group commit whose fences all hold costs one transaction, as before.
 * When one does not, the backend committed nothing: the runs whose fence
 * fails are found one by one and the rest is tried again (fences only
 * fail: each round drops at least one run, or ends). */
pf_error *pf_store_run_commit(pf_store *s, const pf_store_transition *items, size_t n, bool *refused) {
    for (size_t i = 0; i < n; i++)
        refused[i] = false;
    pf_store_transition *kept = pf_xcalloc(n ? n : 1, sizeof *kept);
    pf_error *err = NULL;
    for (;;) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (!refused[i]) kept[k++] = items[i];
        if (k == 0) break;
        err = s->ops->run_transitions(s, kept, k);
        if (!err || err->code != PF_ECONFLICT) break;
        bool dropped = false;
        for (size_t i = 0; i < n; i++) {
            if (refused[i] || !items[i].fence) continue;
            bool held = true;
            pf_error *failed = s->ops->run_fence_held(s, items[i].run_id, items[i].fence, &held);
            if (failed) {
                pf_error_free(err);
                err = failed;
                break;
            }
            if (held) continue;
            for (size_t j = i; j < n; j++) /* every transition of that run */
                if (!refused[j] && strcmp(items[j].run_id, items[i].run_id) == 0) refused[j] = true;
            dropped = true;
        }
        if (!dropped || (err && err->code != PF_ECONFLICT)) break;
        pf_error_free(err);
        err = NULL;
    }
    free(kept);
    return counted(s, err);
}

pf_error *pf_store_run_get(pf_store *s, const char *run_id, bool with_nodes, json_t **run_out) {
    return counted(s, s->ops->run_get(s, run_id, with_nodes, run_out));
}
pf_error *pf_store_run_list(pf_store *s, const char *status, json_t **list_out) {
    return counted(s, s->ops->run_list(s, status, list_out));
}
pf_error *pf_store_asset_list(pf_store *s, const char *run_id, json_t **list_out) {
    return counted(s, s->ops->asset_list(s, run_id, list_out));
}
pf_error *pf_store_artifact_get(pf_store *s, const char *id, json_t **artifact_out) {
    return counted(s, s->ops->artifact_get(s, id, artifact_out));
}
pf_error *pf_store_cache_find(pf_store *s, const char *key, const char *slot, json_t **entry_out, bool *exact) {
    return counted(s, s->ops->cache_find(s, key, slot, entry_out, exact));
}
pf_error *pf_store_cache_find_many(pf_store *s, size_t n, const char *const *keys, const char *const *slots,
                                   json_t **entries_out, bool *exact) {
    for (size_t i = 0; i < n; i++)
        entries_out[i] = NULL, exact[i] = false;
    if (s->ops->cache_find_many) return s->ops->cache_find_many(s, n, keys, slots, entries_out, exact);
    pf_error *err = NULL;
    for (size_t i = 0; i < n && !err; i++)
        err = s->ops->cache_find(s, keys[i], slots[i], &entries_out[i], &exact[i]);
    if (err)
        for (size_t i = 0; i < n; i++) {
            json_decref(entries_out[i]);
            entries_out[i] = NULL;
        }
    return err;
}
pf_error *pf_store_items_write(pf_store *s, const pf_store_item *items, size_t n) {
    return counted(s, s->ops->items_write(s, items, n));
}
pf_error *pf_store_item_get(pf_store *s, const char *kind, const char *key, json_t **doc_out) {
    return counted(s, s->ops->item_get(s, kind, key, doc_out));
}
pf_error *pf_store_item_list(pf_store *s, const char *kind, json_t **list_out) {
    return counted(s, s->ops->item_list(s, kind, list_out));
}

static pf_error *no_leases(const pf_store *s) {
    return pf_error_new(PF_EUNAVAILABLE, "/store",
                        "the %s store serves one server and leases no runs; several servers need PostgreSQL",
                        s->ops->name);
}

pf_error *pf_store_run_claim(pf_store *s, const char *owner, int lease_seconds, bool own_too, const json_t *running,
                             size_t max, json_t **ids_out) {
    *ids_out = NULL;
    if (!s->ops->run_claim) return no_leases(s);
    return counted(s, s->ops->run_claim(s, owner, lease_seconds, own_too, running, max, ids_out));
}
pf_error *pf_store_run_renew(pf_store *s, const char *owner, int lease_seconds, const json_t *runs, json_t **held_out) {
    if (held_out) *held_out = NULL;
    if (!s->ops->run_renew) return no_leases(s);
    return counted(s, s->ops->run_renew(s, owner, lease_seconds, runs, held_out));
}
pf_error *pf_store_run_lease(pf_store *s, const char *owner, int lease_seconds, const char *run_id, long long *epoch) {
    *epoch = 0;
    if (!s->ops->run_lease) return no_leases(s);
    return counted(s, s->ops->run_lease(s, owner, lease_seconds, run_id, epoch));
}
pf_error *pf_store_run_release(pf_store *s, const char *owner) {
    if (!s->ops->run_release) return no_leases(s);
    return counted(s, s->ops->run_release(s, owner));
}
pf_error *pf_store_run_request_cancel(pf_store *s, const char *run_id) {
    if (!s->ops->run_request_cancel) return no_leases(s);
    return s->ops->run_request_cancel(s, run_id);
}
/* A backend without other servers has nothing to hear: listening is a no-op. */
pf_error *pf_store_listen(pf_store *s, const char *owner, pf_store_notice_fn fn, pf_store_notice_fn on_cancel,
                          void *user) {
    return s->ops->listen ? s->ops->listen(s, owner, fn, on_cancel, user) : NULL;
}
void pf_store_unlisten(pf_store *s) {
    if (s && s->ops->unlisten) s->ops->unlisten(s);
}
