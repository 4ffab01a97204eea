/* The SQLite store: migrations, immutable versions, conflicts, soft delete,
 * concurrent saves, and catalog items. */
#include "check.h"

#include "core/mem.h"
#include "store/store.h"
#include "support/tmpdir.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>

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
    err = pf_store_open("postgres://db.invalid/prodflow", &s);
    CHECK(err && err->code == PF_EUNAVAILABLE);
    pf_error_free(err);
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

int main(void) {
    char *dir = pf_test_tmpdir("store");
    test_open_and_migrate(dir);
    pf_store *s = NULL;
    CHECK(pf_store_open(dir, &s) == NULL);
    if (s) {
        test_versions(s);
        test_delete(s);
        test_concurrency(s);
        test_items(s);
        pf_store_close(s);
    }
    free(dir);
    return pf_check_done("store");
}
