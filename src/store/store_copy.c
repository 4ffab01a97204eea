/* Copying a store into another, whatever their backends: each table is
 * dumped from one and loaded into the other in batches, then read back and
 * checked by its row count and a digest computed the same way on both
 * sides (sha256 over each row's canonical JSON and a newline). */
#include "store/store_backend.h"

#include "core/json_text.h"
#include "core/mem.h"
#include "core/sha256.h"

#include <stdlib.h>
#include <string.h>

static const pf_store_column workflows_cols[] = {{"id", PF_COL_TEXT},         {"name", PF_COL_TEXT},
                                                 {"family", PF_COL_TEXT},     {"latest_version", PF_COL_INT},
                                                 {"created_at", PF_COL_TIME}, {"updated_at", PF_COL_TIME},
                                                 {"deleted_at", PF_COL_TIME}};
static const pf_store_column versions_cols[] = {{"workflow_id", PF_COL_TEXT},
                                                {"version", PF_COL_INT},
                                                {"doc", PF_COL_JSON},
                                                {"sha256", PF_COL_TEXT},
                                                {"created_at", PF_COL_TIME}};
static const pf_store_column runs_cols[] = {
    {"id", PF_COL_TEXT},         {"workflow_id", PF_COL_TEXT}, {"workflow_version", PF_COL_INT},
    {"family", PF_COL_TEXT},     {"status", PF_COL_TEXT},      {"subject", PF_COL_JSON},
    {"created_at", PF_COL_TIME}, {"updated_at", PF_COL_TIME}};
static const pf_store_column run_docs_cols[] = {{"run_id", PF_COL_TEXT}, {"doc", PF_COL_JSON}};
static const pf_store_column run_nodes_cols[] = {
    {"run_id", PF_COL_TEXT}, {"node_id", PF_COL_TEXT}, {"status", PF_COL_TEXT}, {"state", PF_COL_JSON}};
static const pf_store_column artifacts_cols[] = {
    {"id", PF_COL_TEXT},      {"sha256", PF_COL_TEXT}, {"run_id", PF_COL_TEXT},
    {"node_id", PF_COL_TEXT}, {"role", PF_COL_TEXT},   {"media_type", PF_COL_TEXT},
    {"size", PF_COL_INT},     {"doc", PF_COL_JSON},    {"created_at", PF_COL_TIME}};
static const pf_store_column assets_cols[] = {{"id", PF_COL_TEXT},
                                              {"run_id", PF_COL_TEXT},
                                              {"node_id", PF_COL_TEXT},
                                              {"doc", PF_COL_JSON},
                                              {"created_at", PF_COL_TIME}};
static const pf_store_column cache_cols[] = {
    {"key", PF_COL_TEXT}, {"slot", PF_COL_TEXT}, {"doc", PF_COL_JSON}, {"created_at", PF_COL_TIME}};
static const pf_store_column effects_cols[] = {
    {"run_id", PF_COL_TEXT},     {"node_id", PF_COL_TEXT}, {"effect_key", PF_COL_TEXT},
    {"owner", PF_COL_TEXT},      {"epoch", PF_COL_INT},    {"claims", PF_COL_INT},
    {"claimed_at", PF_COL_TIME}, {"done_at", PF_COL_TIME}, {"result", PF_COL_JSON}};
static const pf_store_column items_cols[] = {{"kind", PF_COL_TEXT},       {"key", PF_COL_TEXT},
                                             {"doc", PF_COL_JSON},        {"created_at", PF_COL_TIME},
                                             {"updated_at", PF_COL_TIME}, {"revision", PF_COL_INT}};

#define TABLE(name, order, insertion, cols)                                                                            \
    { name, order, insertion, cols, (int)(sizeof cols / sizeof *cols) }

/* Key order, except the module cache: its order of insertion breaks ties
 * between entries of one millisecond ("the newest of the slot"), so it is
 * loaded in that order. */
const pf_store_table pf_store_tables[] = {
    TABLE("workflows", "id", false, workflows_cols),
    TABLE("workflow_versions", "workflow_id, version", false, versions_cols),
    TABLE("runs", "id", false, runs_cols),
    TABLE("run_docs", "run_id", false, run_docs_cols),
    TABLE("run_nodes", "run_id, node_id", false, run_nodes_cols),
    TABLE("artifacts", "id", false, artifacts_cols),
    TABLE("assets", "id", false, assets_cols),
    TABLE("module_cache", "created_at", true, cache_cols),
    TABLE("items", "kind, key", false, items_cols),
    TABLE("effects", "run_id, node_id, effect_key", false, effects_cols),
};
const int pf_store_n_tables = sizeof pf_store_tables / sizeof *pf_store_tables;

#define COPY_BATCH 500

typedef struct {
    pf_sha256_ctx digest;
    long long rows;
} tally;

static void tally_add(tally *t, const json_t *row) {
    char *text = pf_json_text(row, true);
    pf_sha256_update(&t->digest, text, strlen(text));
    pf_sha256_update(&t->digest, "\n", 1);
    free(text);
    t->rows++;
}

static pf_error *tally_row(void *ctx, json_t *row) {
    tally_add(ctx, row);
    return NULL;
}

typedef struct {
    tally sum;
    pf_store *to;
    const pf_store_table *table;
    json_t *batch[COPY_BATCH];
    size_t n;
} copier;

static pf_error *flush(copier *c) {
    pf_error *err = c->n ? c->to->ops->load(c->to, c->table, c->batch, c->n) : NULL;
    for (size_t i = 0; i < c->n; i++)
        json_decref(c->batch[i]);
    c->n = 0;
    return err;
}

static pf_error *copy_row(void *ctx, json_t *row) {
    copier *c = ctx;
    tally_add(&c->sum, row);
    c->batch[c->n++] = json_incref(row);
    return c->n == COPY_BATCH ? flush(c) : NULL;
}

static pf_error *refuse_row(void *ctx, json_t *row) {
    (void)row;
    const pf_store_table *t = ctx;
    return pf_error_new(PF_ECONFLICT, "", "the destination store already holds %s; copy into an empty store", t->name);
}

static pf_error *check_empty(pf_store *to) {
    pf_error *err = NULL;
    for (int i = 0; i < pf_store_n_tables && !err; i++)
        err = to->ops->dump(to, &pf_store_tables[i], refuse_row, (void *)&pf_store_tables[i]);
    return err;
}

/* Copies one table and reads it back; its entry in tables says what each
 * side holds. */
static pf_error *copy_table(pf_store *from, pf_store *to, const pf_store_table *t, json_t *tables) {
    copier *c = pf_xcalloc(1, sizeof *c);
    c->to = to, c->table = t;
    pf_sha256_init(&c->sum.digest);
    pf_error *err = from->ops->dump(from, t, copy_row, c);
    pf_error *last = flush(c);
    if (!err)
        err = last;
    else
        pf_error_free(last);
    tally back = {0};
    pf_sha256_init(&back.digest);
    if (!err) err = to->ops->dump(to, t, tally_row, &back);
    char sent[65], found[65];
    pf_sha256_final_hex(&c->sum.digest, sent);
    pf_sha256_final_hex(&back.digest, found);
    json_t *entry = json_pack("{s:I, s:s}", "rows", (json_int_t)c->sum.rows, "sha256", sent);
    if (!err && (back.rows != c->sum.rows || strcmp(sent, found) != 0)) {
        json_object_set_new(entry, "destination",
                            json_pack("{s:I, s:s}", "rows", (json_int_t)back.rows, "sha256", found));
        err = pf_error_new(PF_EIO, "",
                           "the copy of %s does not match: %lld rows read from the source, %lld from the "
                           "destination, with different digests",
                           t->name, c->sum.rows, back.rows);
    }
    json_object_set_new(tables, t->name, entry);
    free(c);
    return err;
}

pf_error *pf_store_copy(pf_store *from, pf_store *to, json_t **report) {
    *report = NULL;
    pf_error *err = check_empty(to);
    if (err) return err;
    json_t *tables = json_object();
    for (int i = 0; i < pf_store_n_tables && !err; i++)
        err = copy_table(from, to, &pf_store_tables[i], tables);
    *report = json_pack("{s:s, s:s, s:o}", "from", from->ops->name, "to", to->ops->name, "tables", tables);
    return err;
}
