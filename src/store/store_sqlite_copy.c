/* The SQLite half of store copies: a table read in order on a reader
 * connection, and rows inserted as they are, one transaction per batch. */
#include "store/store_sqlite.h"

#include "core/json_text.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

/* Appends text to *sql (grown as needed). */
static void append(char **sql, const char *text) {
    size_t n = *sql ? strlen(*sql) : 0, m = strlen(text);
    *sql = pf_xrealloc(*sql, n + m + 1);
    memcpy(*sql + n, text, m + 1);
}

static json_t *row_json(sqlite3_stmt *q, const pf_store_table *t) {
    json_t *row = json_object();
    for (int i = 0; i < t->n_cols; i++) {
        json_t *v = NULL;
        if (sqlite3_column_type(q, i) == SQLITE_NULL)
            v = json_null();
        else if (t->cols[i].kind == PF_COL_INT)
            v = json_integer(sqlite3_column_int64(q, i));
        else if (t->cols[i].kind == PF_COL_JSON)
            v = json_loads(pf_sqlite_text(q, i), JSON_DECODE_ANY, NULL);
        else
            v = json_string(pf_sqlite_text(q, i));
        json_object_set_new(row, t->cols[i].name, v ? v : json_null());
    }
    return row;
}

pf_error *pf_sqlite_dump(pf_store *s, const pf_store_table *t, pf_store_row_fn fn, void *ctx) {
    char *sql = pf_strdup("SELECT ");
    for (int i = 0; i < t->n_cols; i++) {
        append(&sql, i ? ", " : "");
        append(&sql, t->cols[i].name);
    }
    append(&sql, " FROM ");
    append(&sql, t->name);
    append(&sql, " ORDER BY ");
    append(&sql, t->order_by);
    if (t->then_insertion) append(&sql, ", rowid");
    sqlite_conn *r = pf_sqlite_reader(pf_sqlite_impl(s));
    sqlite3_stmt *q = pf_sqlite_prepare(r->db, sql);
    pf_error *err = q ? NULL : pf_sqlite_db_error(r->db, "reading a table to copy");
    int rc = SQLITE_DONE;
    while (!err && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        json_t *row = row_json(q, t);
        err = fn(ctx, row);
        json_decref(row);
    }
    if (!err && rc != SQLITE_DONE) err = pf_sqlite_db_error(r->db, "reading a table to copy");
    sqlite3_finalize(q);
    pf_sqlite_reader_release(r);
    free(sql);
    return err;
}

typedef struct {
    const pf_store_table *table;
    json_t *const *rows;
    size_t n;
} load_args;

/* Binds column i of row; JSON goes in as compact text, and the returned
 * text must outlive the step. */
static char *bind_column(sqlite3_stmt *q, int i, const pf_store_column *col, const json_t *row) {
    const json_t *v = json_object_get(row, col->name);
    if (col->kind == PF_COL_JSON) {
        char *text = pf_json_text(v ? v : json_null(), false);
        sqlite3_bind_text(q, i + 1, text, -1, SQLITE_STATIC);
        return text;
    }
    if (json_is_integer(v))
        sqlite3_bind_int64(q, i + 1, json_integer_value(v));
    else if (json_is_string(v))
        sqlite3_bind_text(q, i + 1, json_string_value(v), -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, i + 1);
    return NULL;
}

static pf_error *insert_row(sqlite3 *db, sqlite3_stmt *q, const pf_store_table *t, const json_t *row) {
    char *texts[16] = {0};
    for (int i = 0; i < t->n_cols && i < 16; i++)
        texts[i] = bind_column(q, i, &t->cols[i], row);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    for (int i = 0; i < 16; i++)
        free(texts[i]);
    return rc == SQLITE_DONE ? NULL : pf_sqlite_db_error(db, "loading copied rows");
}

static pf_error *load_locked(sqlite_store *st, void *arg) {
    const load_args *a = arg;
    char *sql = pf_asprintf("INSERT INTO %s (", a->table->name), *marks = NULL;
    for (int i = 0; i < a->table->n_cols; i++) {
        append(&sql, i ? ", " : "");
        append(&sql, a->table->cols[i].name);
        append(&marks, i ? ", ?" : "?");
    }
    append(&sql, ") VALUES (");
    append(&sql, marks);
    append(&sql, ")");
    sqlite3_stmt *q = pf_sqlite_prepare(st->writer.db, sql);
    pf_error *err = q ? NULL : pf_sqlite_db_error(st->writer.db, "loading copied rows");
    for (size_t i = 0; i < a->n && !err; i++)
        err = insert_row(st->writer.db, q, a->table, a->rows[i]);
    sqlite3_finalize(q);
    free(marks);
    free(sql);
    return err;
}

pf_error *pf_sqlite_load(pf_store *s, const pf_store_table *t, json_t *const *rows, size_t n) {
    load_args a = {t, rows, n};
    return pf_sqlite_transaction(s, load_locked, &a, "loading copied rows");
}
