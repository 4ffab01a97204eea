/* Runs, their nodes, artifact metadata, published assets and the module
 * cache in PostgreSQL. A group of transitions (the runtime's group commit)
 * goes out as one pipeline inside one transaction: one round trip. */
#include "store/store_pg.h"

#include "core/json.h"
#include "core/json_text.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The run row, its doc and its notice in one pipeline: one round trip. */
static void send_create(pg_pipe *p, void *arg) {
    const json_t *run = arg;
    char version[24];
    snprintf(version, sizeof version, "%lld", (long long)json_integer_value(json_object_get(run, "workflow_version")));
    char *subject = pf_json_text(json_object_get(run, "subject"), false);
    char lease[24];
    snprintf(lease, sizeof lease, "%lld", (long long)json_integer_value(json_object_get(run, "lease_seconds")));
    const char *row[] = {pf_json_str(run, "id"),
                         pf_json_str(run, "workflow_id"),
                         version,
                         pf_json_str(run, "family"),
                         pf_json_str(run, "status"),
                         subject,
                         pf_json_str(run, "lease_owner"),
                         lease};
    pf_pg_send(p, Q_RUN_INSERT, 8, row);
    free(subject);
    /* "doc_text", when given, is the doc as compact text already (the
     * runtime writes it while it still waits for validation). */
    const char *text = pf_json_str(run, "doc_text");
    char *doc = text ? NULL : pf_json_text(json_object_get(run, "doc"), false);
    const char *docs[] = {pf_json_str(run, "id"), text ? text : doc};
    pf_pg_send(p, Q_RUN_DOC_INSERT, 2, docs);
    free(doc);
    pf_pg_send(p, Q_NOTIFY, 1, docs);
}

/* Not resent after a lost connection: a run row is not idempotent (a
 * resend after a commit that did happen would find its own id taken). */
pf_error *pf_pg_run_create(pf_store *s, const json_t *run) {
    pf_error *err = pf_pg_pipeline_once(s, send_create, (void *)run, "creating a run");
    if (err && err->code == PF_ECONFLICT) {
        /* The unique index on live runs of an order line: a dispatch of the
         * same line (from this server or another) created its run first. */
        const char *line = pf_json_str(json_object_get(run, "subject"), "order_line");
        pf_error *said = pf_error_new(PF_ECONFLICT, "", "order line %s already has a run in production or delivered",
                                      line ? line : "?");
        pf_error_free(err);
        err = said;
    }
    return err;
}

/* A group's rows of one kind, as the texts of a JSON array's elements,
 * sent as one statement: row by row, the server's cost per statement
 * (bind, executor start-up, end) was most of a group commit's. */
typedef struct {
    const char **texts;
    char **owned; /* the texts made here, freed with the list */
    size_t n, cap;
} json_list;

/* Adds text (JSON); owned says whether the list frees it. */
static void list_add(json_list *l, const char *text, bool owned) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->texts = pf_xrealloc(l->texts, l->cap * sizeof *l->texts);
        l->owned = pf_xrealloc(l->owned, l->cap * sizeof *l->owned);
    }
    l->texts[l->n] = text;
    l->owned[l->n++] = owned ? (char *)text : NULL;
}

static void list_add_json(json_list *l, const json_t *v) { list_add(l, pf_json_text(v, false), true); }

/* "[text,text,...]", malloc'd. */
static char *list_join(const json_list *l) {
    const char **parts = pf_xmalloc((2 * l->n + 1) * sizeof *parts);
    for (size_t i = 0; i < l->n; i++) {
        parts[2 * i] = i ? "," : "[";
        parts[2 * i + 1] = l->texts[i];
    }
    parts[2 * l->n] = "]";
    char *out = pf_concat(parts, 2 * l->n + 1);
    free(parts);
    return out;
}

static void list_free(json_list *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->owned[i]);
    free(l->texts);
    free(l->owned);
}

/* Sends q with the lists joined as its parameters, when they hold rows. */
static void send_rows(pg_pipe *p, pg_query q, const json_list *a, const json_list *b) {
    if (!a->n) return;
    char *values[2] = {list_join(a), b ? list_join(b) : NULL};
    pf_pg_send(p, q, b ? 2 : 1, (const char *const *)values);
    free(values[0]);
    free(values[1]);
}

/* What a group writes besides its runs' rows: nodes as [run, node,
 * status] with their states beside, artifact and asset docs (their
 * columns are read from the doc), cache entries as [key, slot] with the
 * entries beside. */
typedef struct {
    json_list nodes, states, artifacts, assets, cache, entries;
} group_rows;

/* A row's key (taken) to keys, and its JSON, as text when given, to values. */
static void add_keyed(json_list *keys, json_t *key, json_list *values, const char *text, const json_t *doc) {
    list_add_json(keys, key);
    json_decref(key);
    if (text)
        list_add(values, text, false);
    else
        list_add_json(values, doc);
}

static void gather(group_rows *g, const pf_store_transition *t) {
    if (t->node_id)
        add_keyed(&g->nodes, json_pack("[sss]", t->run_id, t->node_id, t->node_status), &g->states, t->node_state_text,
                  t->node_state);
    const pf_store_node_extras *x = t->extras;
    if (!x) return;
    size_t i;
    const json_t *v;
    json_array_foreach(x->artifacts, i, v) list_add_json(&g->artifacts, v);
    json_array_foreach(x->assets, i, v) list_add_json(&g->assets, v);
    if (x->cache_key)
        add_keyed(&g->cache, json_pack("[ss]", x->cache_key, x->cache_slot), &g->entries, x->cache_entry_text,
                  x->cache_entry);
}

/* The run's own rows, in the group's order: its fence before its first
 * write fails the pipeline before anything of the run is written, and the
 * row it locks stays locked to the commit, so once per run is enough. */
static void send_run_writes(pg_pipe *p, const pf_store_transition *items, size_t i) {
    const pf_store_transition *t = &items[i];
    bool fenced = false;
    for (size_t k = 0; k < i && t->fence && !fenced; k++)
        fenced = items[k].fence && strcmp(items[k].run_id, t->run_id) == 0 &&
                 items[k].fence->epoch == t->fence->epoch && strcmp(items[k].fence->owner, t->fence->owner) == 0;
    if (t->fence && !fenced) {
        char epoch[24];
        snprintf(epoch, sizeof epoch, "%lld", t->fence->epoch);
        const char *row[] = {t->run_id, t->fence->owner, epoch};
        pf_pg_send(p, Q_RUN_FENCE, 3, row);
    }
    if (t->run_status) {
        const char *row[] = {t->run_id, t->run_status};
        pf_pg_send(p, Q_RUN_STATUS, 2, row); /* fails, and so rolls back, for an unknown run */
    }
    if (t->run_doc) {
        char *doc = pf_json_text(t->run_doc, false);
        const char *row[] = {t->run_id, doc};
        pf_pg_send(p, Q_RUN_DOC_UPDATE, 2, row);
        free(doc);
    }
}

typedef struct {
    const pf_store_transition *items;
    size_t n;
} batch_args;

/* Each run the group changed is announced once, inside the transaction:
 * other servers hear of it when (and only if) it commits. */
static void send_batch(pg_pipe *p, void *arg) {
    const batch_args *b = arg;
    group_rows g = {0};
    for (size_t i = 0; i < b->n; i++) {
        send_run_writes(p, b->items, i);
        gather(&g, &b->items[i]);
    }
    send_rows(p, Q_NODES_PUT, &g.nodes, &g.states);
    send_rows(p, Q_ARTIFACTS_PUT, &g.artifacts, NULL);
    send_rows(p, Q_ASSETS_PUT, &g.assets, NULL);
    send_rows(p, Q_CACHE_PUT, &g.cache, &g.entries);
    json_list *lists[] = {&g.nodes, &g.states, &g.artifacts, &g.assets, &g.cache, &g.entries};
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
        list_free(lists[i]);
    for (size_t i = 0; i < b->n; i++) {
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcmp(b->items[k].run_id, b->items[i].run_id) == 0;
        if (seen) continue;
        const char *row[] = {b->items[i].run_id};
        pf_pg_send(p, Q_NOTIFY, 1, row);
    }
}

pf_error *pf_pg_run_transitions(pf_store *s, const pf_store_transition *items, size_t n) {
    batch_args b = {items, n};
    return pf_pg_pipeline(s, send_batch, &b, "recording run transitions");
}

/* Columns as RUN_COLUMNS lists them; the doc column is NULL in lists. */
static json_t *run_row(const PGresult *r, int i, bool with_doc) {
    json_t *run = json_pack("{s:s, s:s, s:I, s:s, s:s, s:o, s:s, s:s}", "id", pf_pg_text(r, i, 0), "workflow_id",
                            pf_pg_text(r, i, 1), "workflow_version", (json_int_t)pf_pg_int(r, i, 2), "family",
                            pf_pg_text(r, i, 3), "status", pf_pg_text(r, i, 4), "subject", pf_pg_json(r, i, 5),
                            "created_at", pf_pg_text(r, i, 7), "updated_at", pf_pg_text(r, i, 8));
    if (with_doc) json_object_set_new(run, "doc", pf_pg_json(r, i, 6));
    return run;
}

/* {node: {status, state}} from the [[node, status, state], ...] column,
 * with every node of the workflow that has no row yet as pending. */
static json_t *nodes_of(const PGresult *r, const json_t *run) {
    json_t *nodes = json_object(), *rows = pf_pg_json(r, 0, 9), *row;
    size_t i;
    json_array_foreach(rows, i, row) {
        const char *id = json_string_value(json_array_get(row, 0));
        const char *status = json_string_value(json_array_get(row, 1));
        if (id && status)
            json_object_set_new(nodes, id, json_pack("{s:s, s:O}", "status", status, "state", json_array_get(row, 2)));
    }
    json_decref(rows);
    const json_t *node;
    json_array_foreach(json_object_get(json_object_get(json_object_get(run, "doc"), "workflow"), "nodes"), i, node) {
        const char *id = pf_json_str(node, "id");
        if (id && !json_object_get(nodes, id))
            json_object_set_new(nodes, id, json_pack("{s:s, s:{}}", "status", "pending", "state"));
    }
    return nodes;
}

pf_error *pf_pg_run_get(pf_store *s, const char *run_id, bool with_nodes, json_t **run_out) {
    *run_out = NULL;
    const char *values[] = {run_id};
    PGresult *r;
    pf_error *err = pf_pg_read(s, with_nodes ? Q_RUN_GET_DETAILS : Q_RUN_GET, 1, values, &r, "reading a run");
    if (err) return err;
    if (PQntuples(r)) {
        *run_out = run_row(r, 0, with_nodes);
        if (with_nodes) json_object_set_new(*run_out, "nodes", nodes_of(r, *run_out));
    }
    PQclear(r);
    return *run_out ? NULL : pf_error_new(PF_ENOTFOUND, "", "run \"%s\" does not exist", run_id);
}

pf_error *pf_pg_run_list(pf_store *s, const char *status, json_t **list_out) {
    *list_out = NULL;
    const char *values[] = {status};
    PGresult *r;
    pf_error *err = pf_pg_read(s, status ? Q_RUN_LIST_STATUS : Q_RUN_LIST, status ? 1 : 0, values, &r, "listing runs");
    if (err) return err;
    json_t *list = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(list, run_row(r, i, false));
    PQclear(r);
    *list_out = list;
    return NULL;
}

pf_error *pf_pg_artifact_get(pf_store *s, const char *id, json_t **artifact_out) {
    *artifact_out = NULL;
    const char *values[] = {id};
    PGresult *r;
    pf_error *err = pf_pg_read(s, Q_ARTIFACT_GET, 1, values, &r, "reading an artifact");
    if (err) return err;
    if (PQntuples(r)) *artifact_out = pf_pg_json(r, 0, 0);
    PQclear(r);
    return *artifact_out ? NULL : pf_error_new(PF_ENOTFOUND, "", "artifact \"%s\" does not exist", id);
}

pf_error *pf_pg_asset_list(pf_store *s, const char *run_id, json_t **list_out) {
    *list_out = NULL;
    const char *values[] = {run_id};
    PGresult *r;
    pf_error *err =
        pf_pg_read(s, run_id ? Q_ASSET_LIST_RUN : Q_ASSET_LIST, run_id ? 1 : 0, values, &r, "listing assets");
    if (err) return err;
    json_t *list = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *asset = pf_pg_json(r, i, 0);
        json_object_set_new(asset, "created_at", json_string(pf_pg_text(r, i, 1)));
        json_array_append_new(list, asset);
    }
    PQclear(r);
    *list_out = list;
    return NULL;
}

pf_error *pf_pg_cache_find(pf_store *s, const char *key, const char *slot, json_t **entry_out, bool *exact) {
    *entry_out = NULL;
    *exact = false;
    const char *values[] = {key, slot};
    PGresult *r;
    pf_error *err = pf_pg_read(s, Q_CACHE_FIND, 2, values, &r, "looking up the module cache");
    if (err) return err;
    if (PQntuples(r)) {
        *exact = key && strcmp(pf_pg_text(r, 0, 0), key) == 0;
        *entry_out = pf_pg_json(r, 0, 1);
    }
    PQclear(r);
    return NULL;
}

pf_error *pf_pg_cache_find_many(pf_store *s, size_t n, const char *const *keys, const char *const *slots,
                                json_t **entries_out, bool *exact) {
    json_t *k = json_array(), *sl = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(k, json_string(keys[i]));
        json_array_append_new(sl, json_string(slots[i]));
    }
    char *kt = pf_json_text(k, false), *st = pf_json_text(sl, false);
    json_decref(k);
    json_decref(sl);
    const char *values[] = {kt, st};
    PGresult *r;
    pf_error *err = pf_pg_read(s, Q_CACHE_FIND_MANY, 2, values, &r, "looking up the module cache");
    free(kt);
    free(st);
    if (err) return err;
    for (int row = 0; row < PQntuples(r); row++) {
        long i = pf_pg_int(r, row, 0) - 1;
        if (i < 0 || (size_t)i >= n || entries_out[i]) continue;
        exact[i] = strcmp(pf_pg_text(r, row, 1), keys[i]) == 0;
        entries_out[i] = pf_pg_json(r, row, 2);
    }
    PQclear(r);
    return NULL;
}

static pf_error *request_cancel_locked(pg_conn *c, void *arg) {
    const char *run_id = arg;
    const char *values[] = {run_id};
    PGresult *r = NULL;
    pf_error *err = pf_pg_exec(c, Q_RUN_CANCEL_REQUEST, 1, values, &r, "asking for a run's cancel");
    if (err) return err;
    if (!PQntuples(r))
        err = pf_error_new(PF_ENOTFOUND, "", "run \"%s\" does not exist", run_id);
    else if (pf_pg_int(r, 0, 1) == 0)
        err = pf_error_new(PF_ECONFLICT, "", "run %s is already %s", run_id, pf_pg_text(r, 0, 0));
    PQclear(r);
    if (err) return err;
    char *payload = pf_asprintf(PF_PG_CANCEL_PREFIX "%s", run_id);
    const char *notice[] = {payload};
    err = pf_pg_exec(c, Q_NOTIFY, 1, notice, NULL, "announcing a cancel");
    free(payload);
    return err;
}

pf_error *pf_pg_run_request_cancel(pf_store *s, const char *run_id) {
    return pf_pg_transaction(s, request_cancel_locked, (void *)run_id, "asking for a run's cancel");
}

/* The ids in column 0 of r, as a JSON array; with epochs (column 1),
 * [{id, epoch}], and with a holder's presence (column 2), [{id, epoch,
 * holder_alive}]. */
static json_t *ids_of(const PGresult *r) {
    json_t *ids = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        if (PQnfields(r) == 1) {
            json_array_append_new(ids, json_string(pf_pg_text(r, i, 0)));
            continue;
        }
        json_t *id = json_pack("{s:s, s:I}", "id", pf_pg_text(r, i, 0), "epoch", (json_int_t)pf_pg_int(r, i, 1));
        if (PQnfields(r) > 2) json_object_set_new(id, "holder_alive", json_boolean(*pf_pg_text(r, i, 2) == 't'));
        json_array_append_new(ids, id);
    }
    return ids;
}

/* Each lease call is one statement, outside any transaction (see
 * pf_pg_write). */
static pf_error *lease_call(pf_store *s, pg_query q, int n, const char *const *values, json_t **ids_out,
                            const char *what) {
    PGresult *r = NULL;
    pf_error *err = pf_pg_write(s, q, n, values, &r, what);
    if (!err && ids_out) *ids_out = PQresultStatus(r) == PGRES_TUPLES_OK ? ids_of(r) : json_array();
    PQclear(r);
    return err;
}

pf_error *pf_pg_run_claim(pf_store *s, const char *owner, int lease_seconds, bool own_too, const json_t *running,
                          size_t max, json_t **ids_out) {
    char secs[24], limit[24];
    snprintf(secs, sizeof secs, "%d", lease_seconds);
    snprintf(limit, sizeof limit, "%zu", max);
    char *skip = running ? pf_json_text(running, false) : pf_strdup("[]");
    const char *values[] = {owner, secs, own_too ? "true" : "false", limit, skip};
    pf_error *err = lease_call(s, Q_RUN_CLAIM, 5, values, ids_out, "claiming runs");
    free(skip);
    return err;
}

pf_error *pf_pg_run_renew(pf_store *s, const char *owner, int lease_seconds, const json_t *runs, json_t **held_out) {
    char secs[24];
    snprintf(secs, sizeof secs, "%d", lease_seconds);
    char *list = pf_json_text(runs, false);
    const char *values[] = {owner, secs, list};
    pf_error *err = lease_call(s, Q_RUN_RENEW, 3, values, held_out, "renewing run leases");
    free(list);
    return err;
}

pf_error *pf_pg_run_release(pf_store *s, const char *owner) {
    const char *values[] = {owner};
    return lease_call(s, Q_RUN_RELEASE, 1, values, NULL, "releasing run leases");
}

pf_error *pf_pg_run_lease(pf_store *s, const char *owner, int lease_seconds, const char *run_id, long long *epoch) {
    char secs[24];
    snprintf(secs, sizeof secs, "%d", lease_seconds);
    const char *values[] = {owner, secs, run_id};
    json_t *got = NULL;
    pf_error *err = lease_call(s, Q_RUN_LEASE, 3, values, &got, "leasing a run");
    if (!err && json_array_size(got) == 1)
        *epoch = json_integer_value(json_object_get(json_array_get(got, 0), "epoch"));
    json_decref(got);
    if (err || *epoch) return err;
    json_t *run = NULL;
    err = pf_pg_run_get(s, run_id, false, &run);
    json_decref(run);
    return err ? err : pf_error_new(PF_ECONFLICT, "", "run %s is leased by another server", run_id);
}

pf_error *pf_pg_run_fence_held(pf_store *s, const char *run_id, const pf_store_fence *fence, bool *held) {
    char epoch[24];
    snprintf(epoch, sizeof epoch, "%lld", fence->epoch);
    const char *values[] = {run_id, fence->owner, epoch};
    PGresult *r;
    pf_error *err = pf_pg_read(s, Q_RUN_FENCE_HELD, 3, values, &r, "checking a run's lease");
    if (err) return err;
    *held = PQntuples(r) == 1 && strcmp(pf_pg_text(r, 0, 0), "t") == 0;
    PQclear(r);
    return NULL;
}
