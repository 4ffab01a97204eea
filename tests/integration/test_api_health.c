/* /api/health says unhealthy (503, a problem document naming the reason)
 * when the store cannot take a write or the data directory's disk has less
 * free space than --min-free-disk, and healthy again once that passes:
 * tested by structure, never by the clock. The SQLite store is held by
 * another process's write lock (the test runs as root, where a read-only
 * file would still be written); a PostgreSQL store goes away (its server
 * stops) and comes back; the disk threshold is set above the real free
 * space. Each 503 is logged with its cause and carries the request id. */
#include "check.h"

#include "core/json.h"
#include "core/mem.h"
#include "support/pg.h"
#include "support/server.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const json_t *first_error(const json_t *doc) { return json_array_get(json_object_get(doc, "errors"), 0); }

static void expect_healthy(const pf_test_server *srv) {
    pf_http_reply r;
    CHECK(pf_http_as(srv, NULL, NULL, "GET", "/api/health", NULL, 0, NULL, &r) == 0);
    CHECK_MSG(r.status == 200, "health: %ld %s", r.status, r.body ? r.body : "");
    CHECK_STR(pf_json_str(r.json, "status"), "ok");
    CHECK(json_is_true(json_object_get(r.json, "store_writable")));
    pf_http_reply_free(&r);
}

/* A 503 whose first error is at pointer and mentions what; logged. */
static void expect_unhealthy(const pf_test_server *srv, const char *pointer, const char *what) {
    pf_http_reply r;
    CHECK(pf_http_as(srv, NULL, NULL, "GET", "/api/health", NULL, 0, NULL, &r) == 0);
    CHECK_MSG(r.status == 503, "health: %ld %s", r.status, r.body ? r.body : "");
    CHECK_STR(r.content_type, "application/problem+json");
    CHECK_STR(pf_json_str(first_error(r.json), "pointer"), pointer);
    const char *detail = pf_json_str(r.json, "detail");
    CHECK_MSG(detail && strstr(detail, what), "detail: %s", detail ? detail : "(none)");
    CHECK_MSG(!detail || !strstr(detail, srv->data_dir), "the detail shows a server path: %s", detail);
    CHECK_STR(pf_json_str(json_object_get(r.json, "health"), "status"), "unhealthy");
    CHECK(r.request_id != NULL);
    CHECK_STR(pf_json_str(r.json, "request_id"), r.request_id);
    /* The 5xx is logged with its cause and the request id. */
    char *id = pf_asprintf("\"request_id\":\"%s\"", r.request_id ? r.request_id : "-");
    char *line = pf_test_server_log_wait(
        srv, (const char *const[]){"\"event\":\"http.error\"", "\"level\":\"error\"", id, what, NULL});
    CHECK_MSG(line != NULL, "no http.error line for %s", id);
    free(line);
    free(id);
    pf_http_reply_free(&r);
}

static void disk_threshold(void) {
    pf_test_server srv;
    /* 1 PiB: more than any test machine has free. */
    if (pf_test_server_start(&srv, (const char *const[]){"--no-demo-data", "--min-free-disk", "1048576G", NULL}) != 0)
        return;
    expect_unhealthy(&srv, "/disk", "below the");
    pf_test_server_stop(&srv);
    /* A threshold the disk meets (the default) is healthy. */
    if (pf_test_server_start(&srv, (const char *const[]){"--no-demo-data", NULL}) != 0) return;
    expect_healthy(&srv);
    pf_test_server_stop(&srv);
}

static void sqlite_locked(void) {
    pf_test_server srv;
    if (pf_test_server_start(&srv, (const char *const[]){"--no-demo-data", NULL}) != 0) return;
    expect_healthy(&srv);
    char *db_path = pf_asprintf("%s/data/prodflow.db", srv.data_dir);
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(db_path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL) == SQLITE_OK);
    expect_unhealthy(&srv, "/store", "the store cannot take writes");
    CHECK(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    expect_healthy(&srv);
    free(db_path);
    pf_test_server_stop(&srv);
}

static void postgres_gone(void) {
    pf_test_pg *pg = pf_test_pg_start();
    if (!pg) {
        fprintf(stderr, "PostgreSQL is not available: the part of a database that goes away is skipped\n");
        return;
    }
    pf_test_server srv;
    if (pf_test_server_start(&srv, (const char *const[]){"--no-demo-data", "--store", pf_test_pg_url(pg), NULL}) == 0) {
        expect_healthy(&srv);
        CHECK(pf_test_pg_halt(pg));
        expect_unhealthy(&srv, "/store", "the store cannot take writes");
        CHECK(pf_test_pg_resume(pg));
        expect_healthy(&srv); /* the dropped connection is replaced at the next call */
        pf_test_server_stop(&srv);
    }
    pf_test_pg_stop(pg);
}

int main(void) {
    disk_threshold();
    sqlite_locked();
    postgres_gone();
    return pf_check_done("api_health");
}
