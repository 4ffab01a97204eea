/* The store, every case against both backends (SQLite, and PostgreSQL on
 * a throwaway cluster), which must answer alike: migrations, immutable
 * versions, conflicts, soft delete, concurrent saves, catalog items, runs
 * with their transitions, artifacts, assets and cache. For PostgreSQL also:
 * two stores on one database (two servers), migrating together and
 * upgrading in place, lost connections, and copying a store both ways. */
#include "check.h"

#include "core/mem.h"
#include "store/store.h"
#include "store/store_sqlite.h"
#include "support/pg.h"
#include "support/tmpdir.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>

static json_t *workflow(const char *id, const char *name, const char *family) {
    return json_pack("{s:s, s:s, s:s, s:s, s:[], s:[]}", "schema", "prodflow.workflow/v1", "id", id, "name", name,
                     "family", family, "nodes", "edges");
}

static void test_open_and_migrate(const char *dir) {
    pf_store *s = NULL;
    CHECK(pf_store_open(dir, &s) == NULL);
    int v = pf_store_schema_version(s);
    CHECK(v >= 1);
    CHECK_STR(pf_store_backend(s), "sqlite");
    pf_store_close(s);
    CHECK(pf_store_open(dir, &s) == NULL); /* re-opening applies nothing new */
    CHECK_INT(pf_store_schema_version(s), v);
    pf_store_close(s);

    char *path = pf_asprintf("%s/prodflow.db", dir);
    sqlite3 *db;
    sqlite3_open(path, &db);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
    CHECK(sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0);
    sqlite3_finalize(st);
    sqlite3_exec(db, "INSERT INTO schema_migrations VALUES (999, 'future')", NULL, NULL, NULL);
    sqlite3_close(db);
    pf_error *err = pf_store_open(dir, &s);
    CHECK(err && err->code == PF_ECONFLICT && strstr(err->message, "newer"));
    pf_error_free(err);
    sqlite3_open(path, &db);
    sqlite3_exec(db, "DELETE FROM schema_migrations WHERE version = 999", NULL, NULL, NULL);
    sqlite3_close(db);
    free(path);
}

static void test_versions(pf_store *s) {
    json_t *stored = NULL, *doc = workflow("intake", "Intake", "cad_file");
    CHECK(pf_store_workflow_save(s, doc, 0, true, &stored) == NULL);
    CHECK_INT(json_integer_value(json_object_get(stored, "version")), 1);
    json_decref(stored);
    pf_error *err = pf_store_workflow_save(s, doc, 0, true, NULL);
    CHECK(err && err->code == PF_ECONFLICT && strstr(err->message, "already exists"));
    pf_error_free(err);
    for (int v = 2; v <= 3; v++) {
        char name[32];
        snprintf(name, sizeof name, "Intake v%d", v);
        json_object_set_new(doc, "name", json_string(name));
        CHECK(pf_store_workflow_save(s, doc, v - 1, false, &stored) == NULL);
        CHECK_INT(json_integer_value(json_object_get(stored, "version")), v);
        json_decref(stored);
    }
    err = pf_store_workflow_save(s, doc, 2, false, NULL);
    CHECK(err && err->code == PF_ECONFLICT && strstr(err->message, "version 3, not 2"));
    pf_error_free(err);
    json_t *got = NULL;
    CHECK(pf_store_workflow_get(s, "intake", 1, &got) == NULL);
    CHECK_STR(json_string_value(json_object_get(got, "name")), "Intake");
    json_decref(got);
    CHECK(pf_store_workflow_get(s, "intake", 0, &got) == NULL);
    CHECK_STR(json_string_value(json_object_get(got, "name")), "Intake v3");
    json_decref(got);
    err = pf_store_workflow_get(s, "intake", 7, &got);
    CHECK(err && err->code == PF_ENOTFOUND && strstr(err->message, "no version 7"));
    pf_error_free(err);
    json_t *versions = NULL;
    CHECK(pf_store_workflow_versions(s, "intake", &versions) == NULL);
    CHECK_INT(json_array_size(versions), 3);
    CHECK_INT(strlen(json_string_value(json_object_get(json_array_get(versions, 0), "sha256"))), 64);
    json_decref(versions);
    json_decref(doc);

    doc = workflow("still", "Still", "order_line");
    CHECK(pf_store_workflow_save(s, doc, 0, true, NULL) == NULL);
    json_decref(doc);
    json_t *list = NULL;
    CHECK(pf_store_workflow_list(s, NULL, &list) == NULL);
    CHECK_INT(json_array_size(list), 2);
    json_decref(list);
    CHECK(pf_store_workflow_list(s, "order_line", &list) == NULL);
    CHECK_INT(json_array_size(list), 1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(list, 0), "id")), "still");
    json_decref(list);

    json_t *ghost = workflow("ghost", "G", "cad_file");
    err = pf_store_workflow_save(s, ghost, 0, false, NULL);
    CHECK(err && err->code == PF_ENOTFOUND);
    pf_error_free(err);
    json_decref(ghost);
}

static void test_delete(pf_store *s) {
    CHECK(pf_store_workflow_delete(s, "still") == NULL);
    json_t *got = NULL, *list = NULL;
    pf_error *err = pf_store_workflow_get(s, "still", 0, &got);
    CHECK(err && err->code == PF_ENOTFOUND);
    pf_error_free(err);
    CHECK(pf_store_workflow_get(s, "still", 1, &got) == NULL); /* versions stay readable */
    json_decref(got);
    CHECK(pf_store_workflow_list(s, NULL, &list) == NULL);
    CHECK_INT(json_array_size(list), 1);
    json_decref(list);
    err = pf_store_workflow_delete(s, "still");
    CHECK(err && err->code == PF_ENOTFOUND);
    pf_error_free(err);
    /* Creating the id again continues its version history. */
    json_t *doc = workflow("still", "Still again", "order_line"), *stored = NULL;
    CHECK(pf_store_workflow_save(s, doc, 0, true, &stored) == NULL);
    CHECK_INT(json_integer_value(json_object_get(stored, "version")), 2);
    json_decref(stored);
    json_decref(doc);
}

#define THREADS 4
#define SAVES 10

static void *saver(void *arg) {
    pf_store *s = arg;
    json_t *doc = workflow("busy", "Busy", "cad_file");
    for (int i = 0; i < SAVES; i++) {
        pf_error *err = pf_store_workflow_save(s, doc, 0, false, NULL);
        pf_error_free(err);
    }
    json_decref(doc);
    return NULL;
}

static void test_concurrency(pf_store *s) {
    json_t *doc = workflow("busy", "Busy", "cad_file");
    CHECK(pf_store_workflow_save(s, doc, 0, true, NULL) == NULL);
    json_decref(doc);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, saver, s);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    json_t *versions = NULL;
    CHECK(pf_store_workflow_versions(s, "busy", &versions) == NULL);
    CHECK_INT(json_array_size(versions), 1 + THREADS * SAVES);
    size_t i;
    json_t *v;
    json_array_foreach(versions, i, v) CHECK_INT(json_integer_value(json_object_get(v, "version")), (long long)i + 1);
    json_decref(versions);
}

static pf_code code_of(pf_error *err) {
    pf_code c = err ? err->code : PF_OK;
    pf_error_free(err);
    return c;
}

static void test_items(pf_store *s) {
    json_t *a = json_pack("{s:s, s:s}", "key", "chairs", "label", "Chairs");
    json_t *b = json_pack("{s:s, s:s}", "key", "lamps", "label", "Lamps");
    pf_store_item create[] = {{.op = PF_ITEM_CREATE, .kind = "category", .key = "lamps", .doc = b},
                              {.op = PF_ITEM_CREATE, .kind = "category", .key = "chairs", .doc = a}};
    CHECK_INT(code_of(pf_store_items_write(s, create, 2)), PF_OK);
    CHECK_INT(code_of(pf_store_items_write(s, create, 1)), PF_ECONFLICT);
    /* a batch is all or nothing: the new key is not kept when another fails */
    json_t *c = json_pack("{s:s}", "key", "desks");
    pf_store_item mixed[] = {{.op = PF_ITEM_CREATE, .kind = "category", .key = "desks", .doc = c},
                             {.op = PF_ITEM_CREATE, .kind = "category", .key = "chairs", .doc = a}};
    CHECK_INT(code_of(pf_store_items_write(s, mixed, 2)), PF_ECONFLICT);
    json_t *doc = NULL;
    CHECK_INT(code_of(pf_store_item_get(s, "category", "desks", &doc)), PF_ENOTFOUND);
    CHECK(doc == NULL);
    pf_store_item replace = {.op = PF_ITEM_REPLACE, .kind = "category", .key = "ghost", .doc = c};
    CHECK_INT(code_of(pf_store_items_write(s, &replace, 1)), PF_ENOTFOUND);
    json_object_set_new(a, "label", json_string("Seating"));
    pf_store_item update = {.op = PF_ITEM_REPLACE, .kind = "category", .key = "chairs", .doc = a};
    CHECK_INT(code_of(pf_store_items_write(s, &update, 1)), PF_OK);
    CHECK_INT(code_of(pf_store_item_get(s, "category", "chairs", &doc)), PF_OK);
    CHECK_STR(json_string_value(json_object_get(doc, "label")), "Seating");
    CHECK(json_string_value(json_object_get(doc, "created_at")) != NULL);
    json_decref(doc);
    json_t *list = NULL;
    CHECK_INT(code_of(pf_store_item_list(s, "category", &list)), PF_OK);
    CHECK_INT(json_array_size(list), 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(list, 0), "key")), "chairs");
    json_decref(list);
    pf_store_item del = {.op = PF_ITEM_DELETE, .kind = "category", .key = "lamps", .doc = NULL};
    CHECK_INT(code_of(pf_store_items_write(s, &del, 1)), PF_OK);
    CHECK_INT(code_of(pf_store_items_write(s, &del, 1)), PF_ENOTFOUND);
    CHECK_INT(code_of(pf_store_item_list(s, "pricing_tier", &list)), PF_OK);
    CHECK_INT(json_array_size(list), 0);
    json_decref(list);
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

/* ------------------------------------------------------------------ runs */

static json_t *run_row(const char *id, const char *status) {
    return json_pack("{s:s, s:s, s:i, s:s, s:s, s:{s:s}, s:{s:{s:[{s:s}, {s:s}, {s:s}]}}}", "id", id, "workflow_id",
                     "intake", "workflow_version", 1, "family", "cad_file", "status", status, "subject", "cad_file",
                     "f00d", "doc", "workflow", "nodes", "id", "a", "id", "b", "id", "c");
}

static json_t *artifact(const char *id, const char *run, const char *node) {
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "id", id, "sha256", "5ha", "run_id", run, "node_id", node,
                     "role", "cad.glb", "media_type", "model/gltf-binary", "size", 42);
}

static json_t *asset(const char *id, const char *run, const char *node, const char *path) {
    return json_pack("{s:s, s:s, s:s, s:s}", "id", id, "run_id", run, "node_id", node, "path", path);
}

/* What the runtime relies on: a group of transitions commits whole or not
 * at all; a node's finish carries its artifact rows, a published asset and
 * a cache entry; a second asset for the same (run, node) is ignored; the
 * cache answers by key, else with the newest entry of the slot. */
static void test_runs(pf_store *s) {
    json_t *r1 = run_row("r1", "running"), *got = NULL;
    CHECK_INT(code_of(pf_store_run_create(s, r1)), PF_OK);
    CHECK_INT(code_of(pf_store_run_create(s, r1)), PF_EIO); /* the id is taken */
    CHECK_INT(code_of(pf_store_run_get(s, "r1", true, &got)), PF_OK);
    CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(got, "nodes"), "c"), "status")),
              "pending");
    CHECK_STR(json_string_value(json_object_get(json_object_get(got, "subject"), "cad_file")), "f00d");
    json_decref(got);

    json_t *arts = json_pack("[o, o]", artifact("r1.a.out", "r1", "a"), artifact("r1.a.log", "r1", "a"));
    json_t *assets_a = json_pack("[o]", asset("as-a", "r1", "a", "first.png"));
    json_t *assets_b = json_pack("[o]", asset("as-b", "r1", "b", "b.png"));
    json_t *entry = json_pack("{s:s, s:s}", "outputs", "x", "why", "first");
    pf_store_node_extras xa = {
        .artifacts = arts, .assets = assets_a, .cache_key = "k1", .cache_slot = "slot", .cache_entry = entry};
    pf_store_node_extras xb = {
        .assets = assets_b, .cache_key = "k2", .cache_slot = "slot", .cache_entry_text = "{\"outputs\":\"y\"}"};
    json_t *state = json_pack("{s:i}", "attempt", 1);
    pf_store_transition group[] = {
        {.run_id = "r1", .node_id = "a", .node_status = "succeeded", .node_state = state, .extras = &xa},
        {.run_id = "r1",
         .node_id = "b",
         .node_status = "succeeded",
         .node_state_text = "{\"attempt\":2}",
         .extras = &xb},
    };
    CHECK_INT(code_of(pf_store_run_transitions(s, group, 2)), PF_OK);

    /* A group with a transition of an unknown run: nothing of it stays. */
    json_t *assets_a2 = json_pack("[o]", asset("as-a2", "r1", "a", "second.png"));
    pf_store_node_extras again = {.assets = assets_a2};
    pf_store_transition bad[] = {
        {.run_id = "r1", .node_id = "c", .node_status = "running", .node_state = state},
        {.run_id = "ghost", .run_status = "failed"},
    };
    pf_error *err = pf_store_run_transitions(s, bad, 2);
    CHECK(err && err->code == PF_ENOTFOUND && strstr(err->message, "run \"ghost\" does not exist"));
    pf_error_free(err);
    /* The node that runs again publishes again: the first asset stands. */
    CHECK_INT(code_of(pf_store_run_transition(s, "r1", "succeeded", NULL, "a", "succeeded", state, &again)), PF_OK);

    CHECK_INT(code_of(pf_store_run_get(s, "r1", true, &got)), PF_OK);
    json_t *nodes = json_object_get(got, "nodes");
    CHECK_STR(json_string_value(json_object_get(json_object_get(nodes, "c"), "status")), "pending");
    CHECK_STR(json_string_value(json_object_get(json_object_get(nodes, "b"), "status")), "succeeded");
    CHECK_INT(json_integer_value(json_object_get(json_object_get(json_object_get(nodes, "b"), "state"), "attempt")), 2);
    CHECK_STR(json_string_value(json_object_get(got, "status")), "succeeded");
    CHECK(json_is_object(json_object_get(got, "doc")));
    json_decref(got);
    CHECK_INT(code_of(pf_store_run_get(s, "r1", false, &got)), PF_OK);
    CHECK(json_object_get(got, "doc") == NULL && json_object_get(got, "nodes") == NULL);
    json_decref(got);
    CHECK_INT(code_of(pf_store_run_get(s, "ghost", false, &got)), PF_ENOTFOUND);

    json_t *list = NULL;
    CHECK_INT(code_of(pf_store_asset_list(s, "r1", &list)), PF_OK);
    CHECK_INT(json_array_size(list), 2);
    size_t i;
    json_t *a;
    json_array_foreach(list, i, a) {
        CHECK(json_string_value(json_object_get(a, "created_at")) != NULL);
        if (strcmp(json_string_value(json_object_get(a, "node_id")), "a") == 0)
            CHECK_STR(json_string_value(json_object_get(a, "path")), "first.png");
    }
    json_decref(list);
    CHECK_INT(code_of(pf_store_asset_list(s, "r-none", &list)), PF_OK);
    CHECK_INT(json_array_size(list), 0);
    json_decref(list);
    CHECK_INT(code_of(pf_store_artifact_get(s, "r1.a.log", &got)), PF_OK);
    CHECK_INT(json_integer_value(json_object_get(got, "size")), 42);
    json_decref(got);
    CHECK_INT(code_of(pf_store_artifact_get(s, "nope", &got)), PF_ENOTFOUND);

    bool exact = false;
    CHECK_INT(code_of(pf_store_cache_find(s, "k1", "slot", &got, &exact)), PF_OK);
    CHECK(exact && got && strcmp(json_string_value(json_object_get(got, "why")), "first") == 0);
    json_decref(got);
    CHECK_INT(code_of(pf_store_cache_find(s, "k9", "slot", &got, &exact)), PF_OK);
    CHECK(!exact && got && strcmp(json_string_value(json_object_get(got, "outputs")), "y") == 0); /* newest */
    json_decref(got);
    CHECK_INT(code_of(pf_store_cache_find(s, "k9", "other", &got, &exact)), PF_OK);
    CHECK(!exact && got == NULL);
    /* Several look-ups at once answer as one each would, in order. */
    const char *keys[] = {"k9", "k1", "k9", "k1"}, *slots[] = {"other", "other", "slot", "slot"};
    json_t *found[4];
    bool exacts[4];
    CHECK_INT(code_of(pf_store_cache_find_many(s, 4, keys, slots, found, exacts)), PF_OK);
    CHECK(!exacts[0] && found[0] == NULL);
    CHECK(exacts[1] && found[1] && strcmp(json_string_value(json_object_get(found[1], "why")), "first") == 0);
    CHECK(!exacts[2] && found[2] && strcmp(json_string_value(json_object_get(found[2], "outputs")), "y") == 0);
    CHECK(exacts[3] && found[3] && strcmp(json_string_value(json_object_get(found[3], "why")), "first") == 0);
    for (int i = 0; i < 4; i++)
        json_decref(found[i]);
    CHECK_INT(code_of(pf_store_cache_find_many(s, 0, keys, slots, found, exacts)), PF_OK);

    json_t *r2 = run_row("r2", "queued");
    CHECK_INT(code_of(pf_store_run_create(s, r2)), PF_OK);
    CHECK_INT(code_of(pf_store_run_list(s, NULL, &list)), PF_OK);
    CHECK_INT(json_array_size(list), 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(list, 0), "id")), "r2"); /* newest first */
    json_decref(list);
    CHECK_INT(code_of(pf_store_run_list(s, "succeeded", &list)), PF_OK);
    CHECK_INT(json_array_size(list), 1);
    json_decref(list);
    json_decref(r1), json_decref(r2), json_decref(arts), json_decref(assets_a), json_decref(assets_b);
    json_decref(assets_a2), json_decref(entry), json_decref(state);
}

/* One group may write a row twice (a node's start and its finish, a cache
 * key that two nodes share, an artifact written again): the last write
 * stands, as if they went one by one. PostgreSQL sends each kind of row
 * as one statement, which must not touch a row twice. */
static void test_group_repeats(pf_store *s) {
    json_t *run = run_row("r3", "running"), *got = NULL;
    CHECK_INT(code_of(pf_store_run_create(s, run)), PF_OK);
    json_t *arts = json_pack("[o]", artifact("r3.d.out", "r3", "d"));
    pf_store_node_extras first = {
        .artifacts = arts, .cache_key = "k3", .cache_slot = "slot3", .cache_entry_text = "{\"why\":\"first\"}"};
    pf_store_node_extras other = {
        .artifacts = arts, .cache_key = "k4", .cache_slot = "slot3", .cache_entry_text = "{\"why\":\"other\"}"};
    pf_store_node_extras last = {.cache_key = "k3", .cache_slot = "slot3", .cache_entry_text = "{\"why\":\"last\"}"};
    pf_store_transition group[] = {
        {.run_id = "r3", .node_id = "d", .node_status = "running", .node_state_text = "{\"attempt\":1}"},
        {.run_id = "r3",
         .node_id = "d",
         .node_status = "succeeded",
         .node_state_text = "{\"attempt\":2}",
         .extras = &first},
        {.run_id = "r3", .node_id = "e", .node_status = "succeeded", .node_state_text = "{}", .extras = &other},
        {.run_id = "r3", .node_id = "e", .node_status = "failed", .node_state_text = "{}", .extras = &last},
    };
    CHECK_INT(code_of(pf_store_run_transitions(s, group, 4)), PF_OK);
    CHECK_INT(code_of(pf_store_run_get(s, "r3", true, &got)), PF_OK);
    json_t *d = json_object_get(json_object_get(got, "nodes"), "d");
    CHECK_STR(json_string_value(json_object_get(d, "status")), "succeeded");
    CHECK_INT(json_integer_value(json_object_get(json_object_get(d, "state"), "attempt")), 2);
    CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(got, "nodes"), "e"), "status")),
              "failed");
    json_decref(got);
    CHECK_INT(code_of(pf_store_artifact_get(s, "r3.d.out", &got)), PF_OK);
    json_decref(got);
    const char *keys[] = {"k3", "k4"}, *slots[] = {"slot3", "slot3"};
    json_t *found[2];
    bool exact[2];
    CHECK_INT(code_of(pf_store_cache_find_many(s, 2, keys, slots, found, exact)), PF_OK);
    CHECK(exact[0] && found[0] && strcmp(json_string_value(json_object_get(found[0], "why")), "last") == 0);
    CHECK(exact[1] && found[1] && strcmp(json_string_value(json_object_get(found[1], "why")), "other") == 0);
    json_decref(found[0]), json_decref(found[1]);
    json_decref(run), json_decref(arts);
}

/* Every case that takes a store, in order, on a fresh one. */
static void test_cases(pf_store *s) {
    test_versions(s);
    test_delete(s);
    test_concurrency(s);
    test_items(s);
    test_runs(s);
    test_group_repeats(s);
}

/* ------------------------------------------------------------- snapshots */

static bool is_iso_time(const char *t) {
    return strlen(t) == 24 && t[4] == '-' && t[10] == 'T' && t[19] == '.' && t[23] == 'Z';
}

/* Time stamps become "<time>" (checking their form), so two backends'
 * answers compare although their clocks read differently. */
static json_t *without_times(json_t *v) {
    if (json_is_string(v) && is_iso_time(json_string_value(v))) {
        json_decref(v);
        return json_string("<time>");
    }
    size_t i;
    const char *k;
    json_t *x;
    if (json_is_array(v)) json_array_foreach(v, i, x) json_array_set_new(v, i, without_times(json_incref(x)));
    if (json_is_object(v)) json_object_foreach(v, k, x) json_object_set_new(v, k, without_times(json_incref(x)));
    return v;
}

/* Adds what a call answered (or its error code) under key. */
static void note_answer(json_t *snap, const char *key, pf_error *err, json_t *answer) {
    json_object_set_new(snap, key, err ? json_pack("{s:s}", "error", pf_code_name(err->code)) : answer);
    if (err) json_decref(answer);
    pf_error_free(err);
}

/* call answers into v. */
#define NOTE(key, call)                                                                                                \
    do {                                                                                                               \
        json_t *v = NULL;                                                                                              \
        pf_error *err_ = (call);                                                                                       \
        note_answer(snap, key, err_, v ? v : json_null());                                                             \
    } while (0)

/* Everything the API can read of what test_cases wrote. */
static json_t *snapshot(pf_store *s) {
    json_t *snap = json_object();
    bool exact;
    NOTE("workflows", pf_store_workflow_list(s, NULL, &v));
    const char *ids[] = {"intake", "still", "busy"};
    for (int i = 0; i < 3; i++) {
        char key[64];
        snprintf(key, sizeof key, "versions/%s", ids[i]);
        NOTE(key, pf_store_workflow_versions(s, ids[i], &v));
        for (int version = 0; version <= 3; version++) {
            snprintf(key, sizeof key, "workflow/%s/%d", ids[i], version);
            NOTE(key, pf_store_workflow_get(s, ids[i], version, &v));
        }
    }
    NOTE("runs", pf_store_run_list(s, NULL, &v));
    NOTE("run/r1", pf_store_run_get(s, "r1", true, &v));
    NOTE("run/r2", pf_store_run_get(s, "r2", true, &v));
    NOTE("assets", pf_store_asset_list(s, NULL, &v));
    NOTE("artifact", pf_store_artifact_get(s, "r1.a.out", &v));
    NOTE("cache/k1", pf_store_cache_find(s, "k1", "slot", &v, &exact));
    NOTE("cache/slot", pf_store_cache_find(s, "k9", "slot", &v, &exact));
    NOTE("categories", pf_store_item_list(s, "category", &v));
    NOTE("chairs", pf_store_item_get(s, "category", "chairs", &v));
    return snap;
}

static int by_id(const void *a, const void *b) {
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "id")),
                  json_string_value(json_object_get(*(json_t *const *)b, "id")));
}

/* Rows written in one transaction: SQLite stamps each with its own clock
 * reading, PostgreSQL with the transaction's, so their order (newest
 * first, ties by id) differs when the clock ticked between them. */
static void sort_by_id(json_t *list) {
    size_t n = json_array_size(list);
    json_t **rows = pf_xcalloc(n ? n : 1, sizeof *rows);
    for (size_t i = 0; i < n; i++)
        rows[i] = json_incref(json_array_get(list, i));
    qsort(rows, n, sizeof *rows, by_id);
    json_array_clear(list);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, rows[i]);
    free(rows);
}

/* The two stores' answers; with times_too, their time stamps as well (a
 * copy keeps them), else only their form. */
static bool same_answers(pf_store *a, pf_store *b, bool times_too) {
    json_t *x = snapshot(a), *y = snapshot(b);
    if (!times_too) {
        x = without_times(x), y = without_times(y);
        sort_by_id(json_object_get(x, "assets")), sort_by_id(json_object_get(y, "assets"));
    }
    bool same = json_equal(x, y);
    if (!same) {
        char *tx = json_dumps(x, JSON_SORT_KEYS | JSON_INDENT(1)), *ty = json_dumps(y, JSON_SORT_KEYS | JSON_INDENT(1));
        fprintf(stderr, "%s\n--- differs from ---\n%s\n", tx, ty);
        free(tx), free(ty);
    }
    json_decref(x), json_decref(y);
    return same;
}

/* ------------------------------------------------------------ PostgreSQL */

/* One statement through libpq, for what the store does not offer. */
static bool sql_ok(const char *url, const char *sql, char **first_value) {
    PGconn *c = PQconnectdb(url);
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok) fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
    if (first_value) *first_value = ok && PQntuples(r) ? pf_strdup(PQgetvalue(r, 0, 0)) : NULL;
    PQclear(r);
    PQfinish(c);
    return ok;
}

static void check_sql_value(const char *url, const char *sql, const char *expected) {
    char *v = NULL;
    CHECK(sql_ok(url, sql, &v));
    CHECK_STR(v, expected);
    free(v);
}

static int report_count(const json_t *report) { return (int)json_array_size(json_object_get(report, "statements")); }
static int report_int(const json_t *report, const char *k) {
    return (int)json_integer_value(json_object_get(report, k));
}

static void test_pg_open_and_migrate(pf_test_pg *pg) {
    char *url = pf_test_pg_new_database(pg, "migrations");
    json_t *report = NULL;
    CHECK_INT(code_of(pf_store_migrate(url, true, &report)), PF_OK); /* dry run: says, does nothing */
    CHECK_INT(report_int(report, "current_version"), 0);
    CHECK_INT(report_int(report, "target_version"), 6);
    CHECK_INT(report_count(report), 6);
    CHECK(strstr(json_string_value(json_object_get(json_array_get(json_object_get(report, "statements"), 2), "sql")),
                 "CREATE TABLE items") != NULL);
    json_decref(report);
    CHECK_INT(code_of(pf_store_migrate(url, true, &report)), PF_OK);
    CHECK_INT(report_int(report, "current_version"), 0);
    json_decref(report);

    pf_store *s = NULL;
    CHECK(pf_store_open(url, &s) == NULL);
    CHECK_INT(pf_store_schema_version(s), 6);
    CHECK_STR(pf_store_backend(s), "postgresql");
    pf_store_close(s);
    char *short_scheme = pf_asprintf("postgres://%s", url + strlen("postgresql://"));
    CHECK(pf_store_open(short_scheme, &s) == NULL); /* re-opening applies nothing new */
    CHECK_INT(pf_store_schema_version(s), 6);
    pf_store_close(s);
    free(short_scheme);
    check_sql_value(url, "SELECT count(*) FROM schema_migrations", "6");
    CHECK_INT(code_of(pf_store_migrate(url, false, &report)), PF_OK);
    CHECK_INT(report_int(report, "current_version"), 6);
    CHECK_INT(report_count(report), 0);
    json_decref(report);

    CHECK(sql_ok(url, "INSERT INTO schema_migrations (version) VALUES (999)", NULL));
    pf_error *err = pf_store_open(url, &s);
    CHECK(err && err->code == PF_ECONFLICT && strstr(err->message, "newer"));
    pf_error_free(err);
    CHECK(sql_ok(url, "DELETE FROM schema_migrations WHERE version = 999", NULL));
    free(url);

    err = pf_store_open("postgresql://postgres@127.0.0.1:1/prodflow", &s); /* nothing listens there */
    CHECK(err && err->code == PF_EUNAVAILABLE && strstr(err->message, "cannot reach the PostgreSQL database"));
    pf_error_free(err);
}

typedef struct {
    const char *url;
    pf_store *store;
    pf_error *err;
} opener;

static void *open_store(void *arg) {
    opener *o = arg;
    o->err = pf_store_open(o->url, &o->store);
    return NULL;
}

/* Two servers starting together on an empty database migrate it once: the
 * second waits on the advisory lock, then finds nothing to do. */
static void test_pg_migrate_together(pf_test_pg *pg) {
    char *url = pf_test_pg_new_database(pg, "together");
    opener o[2] = {{.url = url}, {.url = url}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, open_store, &o[i]);
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        CHECK(o[i].err == NULL);
        pf_error_free(o[i].err);
        CHECK(o[i].store && pf_store_schema_version(o[i].store) == 6);
        pf_store_close(o[i].store);
    }
    check_sql_value(url, "SELECT count(*) || ' ' || count(DISTINCT version) FROM schema_migrations", "6 6");
    free(url);
}

/* A database at the previous schema version, holding data, upgrades in
 * place when a newer Prodflow opens it. */
static void test_pg_upgrade(pf_test_pg *pg) {
    char *url = pf_test_pg_new_database(pg, "upgrade");
    json_t *report = NULL;
    CHECK_INT(code_of(pf_store_migrate_to(url, 2, false, &report)), PF_OK);
    CHECK_INT(report_count(report), 2);
    json_decref(report);
    check_sql_value(url, "SELECT max(version) FROM schema_migrations", "2");
    CHECK(sql_ok(url,
                 "INSERT INTO workflows VALUES ('old', 'Old', 'cad_file', 1, '2026-01-02T03:04:05.678Z', "
                 "'2026-01-02T03:04:05.678Z', NULL);"
                 "INSERT INTO workflow_versions VALUES ('old', 1, '{\"id\":\"old\",\"version\":1}', 'abc', "
                 "'2026-01-02T03:04:05.678Z');"
                 "INSERT INTO runs VALUES ('run-old', 'old', 1, 'cad_file', 'succeeded', NULL, "
                 "'2026-01-02T03:04:06Z', '2026-01-02T03:04:07Z');"
                 "INSERT INTO run_docs VALUES ('run-old', '{\"workflow\":{\"nodes\":[{\"id\":\"n\"}]}}');"
                 "INSERT INTO run_nodes VALUES ('run-old', 'n', 'succeeded', '{\"outputs\":{}}')",
                 NULL));
    pf_store *s = NULL;
    CHECK(pf_store_open(url, &s) == NULL);
    if (s) {
        CHECK_INT(pf_store_schema_version(s), 6);
        json_t *got = NULL;
        CHECK_INT(code_of(pf_store_workflow_get(s, "old", 0, &got)), PF_OK);
        CHECK_INT(json_integer_value(json_object_get(got, "version")), 1);
        json_decref(got);
        CHECK_INT(code_of(pf_store_run_get(s, "run-old", true, &got)), PF_OK);
        CHECK_STR(json_string_value(json_object_get(got, "created_at")), "2026-01-02T03:04:06.000Z");
        CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(got, "nodes"), "n"), "status")),
                  "succeeded");
        json_decref(got);
        json_t *doc = json_pack("{s:s}", "key", "new");
        pf_store_item it = {.op = PF_ITEM_CREATE, .kind = "category", .key = "new", .doc = doc};
        CHECK_INT(code_of(pf_store_items_write(s, &it, 1)), PF_OK); /* version 3's table */
        json_decref(doc);
        pf_store_close(s);
    }
    free(url);
}

typedef struct {
    pf_store *store;
    pthread_barrier_t *start;
    long long revision; /* items: the revision both expect */
    int version;        /* workflows: the version both expect */
    pf_code code;
} racer;

static void *replace_item(void *arg) {
    racer *r = arg;
    json_t *doc = json_pack("{s:s, s:I}", "key", "k", "by", (json_int_t)(size_t)r);
    pf_store_item it = {.op = PF_ITEM_REPLACE, .kind = "race", .key = "k", .doc = doc, .if_revision = r->revision};
    pthread_barrier_wait(r->start);
    r->code = code_of(pf_store_items_write(r->store, &it, 1));
    json_decref(doc);
    return NULL;
}

static void *save_workflow(void *arg) {
    racer *r = arg;
    json_t *doc = workflow("raced", "Raced", "cad_file");
    pthread_barrier_wait(r->start);
    r->code = code_of(pf_store_workflow_save(r->store, doc, r->version, false, NULL));
    json_decref(doc);
    return NULL;
}

/* Runs fn on two stores at once (a barrier lines them up); returns how
 * many succeeded and how many were refused as conflicts. */
static void race(pf_store *a, pf_store *b, void *(*fn)(void *), long long revision, int version, int *ok,
                 int *conflicts) {
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 2);
    racer r[2] = {{a, &start, revision, version, PF_OK}, {b, &start, revision, version, PF_OK}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, fn, &r[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&start);
    *ok = (r[0].code == PF_OK) + (r[1].code == PF_OK);
    *conflicts = (r[0].code == PF_ECONFLICT) + (r[1].code == PF_ECONFLICT);
}

/* Two stores on one database, as two servers: a replace given the same
 * revision from both, and a save expecting the same version from both,
 * succeed exactly once, whatever the interleaving. */
static void test_pg_two_servers(const char *url) {
    pf_store *a = NULL, *b = NULL;
    CHECK(pf_store_open(url, &a) == NULL && pf_store_open(url, &b) == NULL);
    if (!a || !b) return;
    json_t *doc = json_pack("{s:s}", "key", "k");
    pf_store_item it = {.op = PF_ITEM_CREATE, .kind = "race", .key = "k", .doc = doc};
    CHECK_INT(code_of(pf_store_items_write(a, &it, 1)), PF_OK);
    json_decref(doc);
    json_t *wf = workflow("raced", "Raced", "cad_file");
    CHECK_INT(code_of(pf_store_workflow_save(b, wf, 0, true, NULL)), PF_OK);
    json_decref(wf);
    for (int round = 0; round < 20; round++) {
        int ok, conflicts;
        race(a, b, replace_item, round + 1, 0, &ok, &conflicts);
        CHECK_MSG(ok == 1 && conflicts == 1, "round %d: %d replaced, %d conflicts", round, ok, conflicts);
        race(a, b, save_workflow, 0, round + 1, &ok, &conflicts);
        CHECK_MSG(ok == 1 && conflicts == 1, "round %d: %d saved, %d conflicts", round, ok, conflicts);
    }
    json_t *got = NULL;
    CHECK_INT(code_of(pf_store_item_get(b, "race", "k", &got)), PF_OK);
    CHECK_INT(json_integer_value(json_object_get(got, "revision")), 21);
    json_decref(got);
    CHECK_INT(code_of(pf_store_workflow_versions(a, "raced", &got)), PF_OK);
    CHECK_INT(json_array_size(got), 21);
    json_decref(got);
    pf_store_close(a);
    pf_store_close(b);
}

/* One call of each kind: a look-up, a write, a group of transitions. */
static void check_store_works(pf_store *s, const char *key) {
    json_t *doc = json_pack("{s:s}", "key", key), *got = NULL;
    pf_store_item it = {.op = PF_ITEM_UPSERT, .kind = "probe", .key = key, .doc = doc};
    CHECK_INT(code_of(pf_store_items_write(s, &it, 1)), PF_OK);
    CHECK_INT(code_of(pf_store_item_get(s, "probe", key, &got)), PF_OK);
    json_decref(got);
    json_decref(doc);
    pf_store_transition t = {.run_id = "rc", .node_id = key, .node_status = "succeeded", .node_state_text = "{}"};
    CHECK_INT(code_of(pf_store_run_transitions(s, &t, 1)), PF_OK);
}

/* Sessions the server ends (pg_terminate_backend, a restart) are replaced
 * at the next call; while the server is down, calls say so clearly. */
static void test_pg_reconnect(pf_test_pg *pg) {
    char *url = pf_test_pg_new_database(pg, "reconnect");
    pf_store *s = NULL;
    CHECK(pf_store_open(url, &s) == NULL);
    if (!s) return;
    json_t *run = run_row("rc", "running");
    CHECK_INT(code_of(pf_store_run_create(s, run)), PF_OK);
    json_decref(run);
    check_store_works(s, "before");
    /* pg_terminate_backend with a timeout returns once they are gone. */
    CHECK(sql_ok(url,
                 "SELECT pg_terminate_backend(pid, 60000) FROM pg_stat_activity WHERE datname = current_database() "
                 "AND pid <> pg_backend_pid()",
                 NULL));
    check_store_works(s, "terminated");
    CHECK(pf_test_pg_halt(pg));
    json_t *got = NULL;
    pf_error *err = pf_store_item_get(s, "probe", "before", &got);
    CHECK(err && err->code == PF_EUNAVAILABLE && strstr(err->message, "PostgreSQL database"));
    if (err) fprintf(stderr, "(expected) %s\n", err->message);
    pf_error_free(err);
    json_t *doc = json_pack("{s:s}", "key", "down");
    pf_store_item it = {.op = PF_ITEM_UPSERT, .kind = "probe", .key = "down", .doc = doc};
    CHECK_INT(code_of(pf_store_items_write(s, &it, 1)), PF_EUNAVAILABLE);
    json_decref(doc);
    CHECK(pf_test_pg_resume(pg));
    check_store_works(s, "restarted");
    pf_store_close(s);
    free(url);
}

/* A populated SQLite store copied to PostgreSQL and back: the same rows
 * (counts and digests), and the same answers, time stamps included. */
static void test_copy(pf_test_pg *pg, pf_store *sqlite_full) {
    char *url = pf_test_pg_new_database(pg, "copy");
    pf_store *to_pg = NULL, *back = NULL;
    CHECK(pf_store_open(url, &to_pg) == NULL);
    char *dir = pf_test_tmpdir("store-copy-back");
    CHECK(pf_store_open(dir, &back) == NULL);
    if (!to_pg || !back) return;
    json_t *claim = NULL, *result = json_pack("{s:{s:b}}", "delivery", "sent", 1); /* a side effect done */
    CHECK_INT(code_of(pf_store_effect_claim(sqlite_full, "r1", "c", "output.notify", NULL, &claim)), PF_OK);
    CHECK_INT(code_of(pf_store_effect_done(sqlite_full, "r1", "c", "output.notify", result)), PF_OK);
    json_decref(claim);
    json_decref(result);
    json_t *there = NULL, *again = NULL;
    pf_error *err = pf_store_copy(sqlite_full, to_pg, &there);
    CHECK_MSG(err == NULL, "%s", err ? err->message : "");
    pf_error_free(err);
    json_t *tables = json_object_get(there, "tables");
    CHECK_INT(json_object_size(tables), 10);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(tables, "workflow_versions"), "rows")), 3 + 2 + 41);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(tables, "assets"), "rows")), 2);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(tables, "effects"), "rows")), 1);
    CHECK_STR(json_string_value(json_object_get(there, "to")), "postgresql");
    CHECK(same_answers(sqlite_full, to_pg, true));

    err = pf_store_copy(to_pg, back, &again);
    CHECK_MSG(err == NULL, "%s", err ? err->message : "");
    pf_error_free(err);
    CHECK(json_equal(tables, json_object_get(again, "tables"))); /* the same digests both ways */
    CHECK(same_answers(sqlite_full, back, true));

    json_t *refused = NULL;
    err = pf_store_copy(sqlite_full, to_pg, &refused);
    CHECK(err && err->code == PF_ECONFLICT && strstr(err->message, "empty store"));
    pf_error_free(err);
    json_decref(refused);
    json_decref(there);
    json_decref(again);
    pf_store_close(to_pg);
    pf_store_close(back);
    free(dir);
    free(url);
}

/* Rows in every table of schema version 5 (the one before the current
 * one), written as that version's Prodflow wrote them: the same SQL on
 * both backends. Two runs of one order line, one failed: the one-live-run
 * index (version 4) holds over them. Update it, and the
 * checks below, when a migration is added. */
static const char previous_rows[] =
    "INSERT INTO workflows VALUES ('old', 'Old', 'order_line', 2, '2026-01-02T03:04:05.678Z', "
    "'2026-01-02T03:04:05.678Z', NULL);"
    "INSERT INTO workflow_versions VALUES ('old', 1, '{\"id\":\"old\",\"version\":1}', 'abc', "
    "'2026-01-02T03:04:05.678Z');"
    "INSERT INTO workflow_versions VALUES ('old', 2, '{\"id\":\"old\",\"version\":2}', 'def', "
    "'2026-01-02T03:04:05.678Z');"
    "INSERT INTO runs VALUES ('run-ok', 'old', 2, 'order_line', 'succeeded', '{\"order_line\":\"L1\"}', "
    "'2026-01-02T03:04:06.000Z', '2026-01-02T03:04:07.000Z', 'a', NULL, 2);"
    "INSERT INTO runs VALUES ('run-failed', 'old', 2, 'order_line', 'failed', '{\"order_line\":\"L1\"}', "
    "'2026-01-02T03:04:05.000Z', '2026-01-02T03:04:05.500Z', NULL, NULL, 0);"
    "INSERT INTO run_docs VALUES ('run-ok', '{\"workflow\":{\"nodes\":[{\"id\":\"n\"},{\"id\":\"m\"}]}}');"
    "INSERT INTO run_docs VALUES ('run-failed', '{\"workflow\":{\"nodes\":[{\"id\":\"n\"}]}}');"
    "INSERT INTO run_nodes VALUES ('run-ok', 'n', 'succeeded', '{\"outputs\":{\"out\":1}}');"
    "INSERT INTO run_nodes VALUES ('run-failed', 'n', 'failed', '{\"error\":{\"code\":\"io\"}}');"
    "INSERT INTO artifacts VALUES ('run-ok.n.out', 'aa', 'run-ok', 'n', 'render.still', 'image/png', 42, "
    "'{\"id\":\"run-ok.n.out\",\"size\":42}', '2026-01-02T03:04:06.500Z');"
    "INSERT INTO module_cache (key, slot, doc, created_at) VALUES ('key1', 'm@old/n', '{\"outputs\":{\"out\":1}}', "
    "'2026-01-02T03:04:06.500Z');"
    "INSERT INTO assets VALUES ('asset1', 'run-ok', 'n', '{\"id\":\"asset1\",\"path\":\"a.png\"}', "
    "'2026-01-02T03:04:07.000Z');"
    "INSERT INTO items VALUES ('category', 'chairs', '{\"key\":\"chairs\",\"label\":\"Chairs\"}', "
    "'2026-01-02T03:04:05.000Z', '2026-01-02T03:04:08.000Z', 3);";

/* A database made by the previous schema version (the project's own
 * migrations up to it), holding data, upgrades in place when the current
 * Prodflow opens it, its data intact. exec runs SQL on the database at
 * location. */
static void test_upgrade_from_previous(const char *location, bool (*exec)(const char *location, const char *sql)) {
    json_t *report = NULL;
    CHECK_INT(code_of(pf_store_migrate(location, true, &report)), PF_OK);
    int current = report_int(report, "target_version");
    json_decref(report);
    CHECK_INT(current, 6); /* previous_rows is version 5's: update both when adding a migration */
    CHECK_INT(code_of(pf_store_migrate_to(location, current - 1, false, &report)), PF_OK);
    CHECK_INT(report_int(report, "target_version"), current - 1);
    json_decref(report);
    CHECK(exec(location, previous_rows));
    pf_store *s = NULL;
    CHECK(pf_store_open(location, &s) == NULL);
    if (!s) return;
    CHECK_INT(pf_store_schema_version(s), current);
    json_t *got = NULL;
    CHECK_INT(code_of(pf_store_workflow_get(s, "old", 0, &got)), PF_OK);
    CHECK_INT(json_integer_value(json_object_get(got, "version")), 2);
    json_decref(got);
    CHECK_INT(code_of(pf_store_workflow_versions(s, "old", &got)), PF_OK);
    CHECK_INT(json_array_size(got), 2);
    json_decref(got);
    CHECK_INT(code_of(pf_store_run_get(s, "run-ok", true, &got)), PF_OK);
    CHECK_STR(json_string_value(json_object_get(got, "status")), "succeeded");
    CHECK_STR(json_string_value(json_object_get(got, "created_at")), "2026-01-02T03:04:06.000Z");
    CHECK_STR(json_string_value(json_object_get(json_object_get(got, "subject"), "order_line")), "L1");
    json_t *nodes = json_object_get(got, "nodes");
    CHECK_STR(json_string_value(json_object_get(json_object_get(nodes, "n"), "status")), "succeeded");
    CHECK_INT(json_integer_value(json_object_get(
                  json_object_get(json_object_get(json_object_get(nodes, "n"), "state"), "outputs"), "out")),
              1);
    CHECK_STR(json_string_value(json_object_get(json_object_get(nodes, "m"), "status")), "pending");
    json_decref(got);
    CHECK_INT(code_of(pf_store_run_list(s, NULL, &got)), PF_OK);
    CHECK_INT(json_array_size(got), 2);
    CHECK_STR(json_string_value(json_object_get(json_array_get(got, 0), "id")), "run-ok"); /* newest first */
    json_decref(got);
    CHECK_INT(code_of(pf_store_artifact_get(s, "run-ok.n.out", &got)), PF_OK);
    CHECK_INT(json_integer_value(json_object_get(got, "size")), 42);
    json_decref(got);
    CHECK_INT(code_of(pf_store_asset_list(s, "run-ok", &got)), PF_OK);
    CHECK_INT(json_array_size(got), 1);
    CHECK_STR(json_string_value(json_object_get(json_array_get(got, 0), "path")), "a.png");
    json_decref(got);
    bool exact = false;
    CHECK_INT(code_of(pf_store_cache_find(s, "key1", "m@old/n", &got, &exact)), PF_OK);
    CHECK(exact && got != NULL);
    json_decref(got);
    CHECK_INT(code_of(pf_store_item_get(s, "category", "chairs", &got)), PF_OK);
    CHECK_STR(json_string_value(json_object_get(got, "label")), "Chairs");
    CHECK_INT(json_integer_value(json_object_get(got, "revision")), 3);
    json_decref(got);
    /* the new version works on the old data: line L1 has a live run, so a
     * second one is refused, and items still take writes */
    json_t *run =
        json_pack("{s:s, s:s, s:i, s:s, s:s, s:{s:s}, s:{}}", "id", "run-new", "workflow_id", "old", "workflow_version",
                  2, "family", "order_line", "status", "running", "subject", "order_line", "L1", "doc");
    CHECK_INT(code_of(pf_store_run_create(s, run)), PF_ECONFLICT);
    json_decref(run);
    json_t *doc = json_pack("{s:s, s:s}", "key", "chairs", "label", "Seats");
    pf_store_item it = {.op = PF_ITEM_REPLACE, .kind = "category", .key = "chairs", .doc = doc, .if_revision = 3};
    CHECK_INT(code_of(pf_store_items_write(s, &it, 1)), PF_OK);
    json_decref(doc);
    pf_store_close(s);
}

static bool pg_exec(const char *url, const char *sql) { return sql_ok(url, sql, NULL); }

static bool sqlite_exec(const char *dir, const char *sql) {
    char *path = pf_asprintf("%s/prodflow.db", dir);
    sqlite3 *db = NULL;
    char *msg = NULL;
    bool ok = sqlite3_open(path, &db) == SQLITE_OK && sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK;
    if (!ok) fprintf(stderr, "sqlite: %s\n", msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    sqlite3_close(db);
    free(path);
    return ok;
}

/* pf_store_migrate on SQLite: a dry run on a new location creates nothing;
 * a run stops where asked and goes on later. */
static void test_sqlite_migrate(void) {
    char *dir = pf_test_tmpdir("store-migrate");
    char *path = pf_asprintf("%s/prodflow.db", dir);
    json_t *report = NULL;
    struct stat st;
    CHECK_INT(code_of(pf_store_migrate(dir, true, &report)), PF_OK);
    CHECK_INT(report_int(report, "current_version"), 0);
    CHECK_INT(report_count(report), 6);
    CHECK_STR(json_string_value(json_object_get(report, "backend")), "sqlite");
    CHECK(stat(path, &st) != 0);
    json_decref(report);
    CHECK_INT(code_of(pf_store_migrate_to(dir, 2, false, &report)), PF_OK);
    CHECK_INT(report_count(report), 2);
    json_decref(report);
    CHECK_INT(code_of(pf_store_migrate(dir, true, &report)), PF_OK);
    CHECK_INT(report_int(report, "current_version"), 2);
    CHECK_INT(report_count(report), 4);
    json_decref(report);
    pf_store *s = NULL;
    CHECK(pf_store_open(dir, &s) == NULL);
    CHECK_INT(pf_store_schema_version(s), 6);
    pf_store_close(s);
    CHECK_INT(code_of(pf_store_migrate_to(dir, 7, false, &report)), PF_EINVAL);
    json_decref(report);
    free(path);
    free(dir);
}

/* A statement the store keeps prepared that no longer prepares (its table
 * dropped behind the store's back) fails each time it is used, and never
 * takes the process down. */
static void test_statement_that_fails(void) {
    char *dir = pf_test_tmpdir("store-dropped");
    pf_store *s = NULL;
    CHECK(pf_store_open(dir, &s) == NULL);
    char *path = pf_asprintf("%s/prodflow.db", dir);
    sqlite3 *db;
    sqlite3_open(path, &db);
    CHECK(sqlite3_exec(db, "DROP TABLE module_cache", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    for (int i = 0; i < 3 && s; i++) {
        json_t *entry = NULL;
        bool exact = true;
        pf_error_free(pf_store_cache_find(s, "k", "slot", &entry, &exact));
        CHECK(entry == NULL && !exact);
    }
    pf_store_close(s);
    free(path);
    free(dir);
}

/* A connection keeps every statement it is asked to cache (40 here; it had
 * 16 slots once, and what did not fit was never finalized, which left its
 * database open) and gives the same one back each time. */
static void test_many_cached_statements(void) {
    static char sql[40][24]; /* the addresses are the keys, as literals' are */
    sqlite_conn c = {0};
    CHECK(sqlite3_open(":memory:", &c.db) == SQLITE_OK);
    sqlite3_stmt *first[40];
    for (int i = 0; i < 40; i++) {
        snprintf(sql[i], sizeof sql[i], "SELECT %d", i);
        first[i] = pf_sqlite_cached(&c, sql[i]);
        CHECK(first[i] && sqlite3_step(first[i]) == SQLITE_ROW && sqlite3_column_int(first[i], 0) == i);
        sqlite3_reset(first[i]);
    }
    for (int i = 0; i < 40; i++)
        CHECK_MSG(pf_sqlite_cached(&c, sql[i]) == first[i], "statement %d was prepared again", i);
    pf_sqlite_conn_close_db(&c);
    CHECK(c.db == NULL && c.n_cached == 0);
}

int main(void) {
    char *dir = pf_test_tmpdir("store");
    test_many_cached_statements();
    test_open_and_migrate(dir);
    test_statement_that_fails();
    test_sqlite_migrate();
    char *previous = pf_test_tmpdir("store-previous");
    test_upgrade_from_previous(previous, sqlite_exec);
    free(previous);
    pf_store *lite = NULL, *pgs = NULL;
    CHECK(pf_store_open(dir, &lite) == NULL);
    if (lite) test_cases(lite);

    pf_test_pg *pg = pf_test_pg_start();
    CHECK_MSG(pg != NULL, "PostgreSQL did not start (see above)");
    if (pg) {
        test_pg_open_and_migrate(pg);
        test_pg_migrate_together(pg);
        test_pg_upgrade(pg);
        char *previous = pf_test_pg_new_database(pg, "previous");
        if (previous) test_upgrade_from_previous(previous, pg_exec);
        free(previous);
        CHECK(pf_store_open(pf_test_pg_url(pg), &pgs) == NULL);
        if (pgs) test_cases(pgs);
        if (lite && pgs) CHECK(same_answers(lite, pgs, false));
        test_pg_two_servers(pf_test_pg_url(pg));
        test_pg_reconnect(pg);
        if (lite) test_copy(pg, lite);
        pf_store_close(pgs);
        pf_test_pg_stop(pg);
    }
    pf_store_close(lite);
    free(dir);
    return pf_check_done("store");
}
