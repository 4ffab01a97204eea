/* The PostgreSQL half of store copies: a table streamed row by row from a
 * reader (single-row mode, so a large table is never held whole), and
 * batches of rows inserted by one statement that reads them from a JSON
 * array. */
#include "store/store_pg.h"

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

static char *select_sql(const pf_store_table *t) {
    char *sql = pf_strdup("SELECT ");
    for (int i = 0; i < t->n_cols; i++) {
        if (i) append(&sql, ", ");
        bool time = t->cols[i].kind == PF_COL_TIME;
        append(&sql, time ? "pf_iso(" : "");
        append(&sql, t->cols[i].name);
        append(&sql, time ? ")" : "");
    }
    append(&sql, " FROM ");
    append(&sql, t->name);
    append(&sql, " ORDER BY ");
    append(&sql, t->order_by);
    if (t->then_insertion) append(&sql, ", seq");
    return sql;
}

static json_t *row_json(const PGresult *r, const pf_store_table *t) {
    json_t *row = json_object();
    for (int i = 0; i < t->n_cols; i++) {
        json_t *v = NULL;
        if (PQgetisnull(r, 0, i))
            v = json_null();
        else if (t->cols[i].kind == PF_COL_INT)
            v = json_integer(pf_pg_int(r, 0, i));
        else if (t->cols[i].kind == PF_COL_JSON)
            v = pf_pg_json(r, 0, i);
        else
            v = json_string(pf_pg_text(r, 0, i));
        json_object_set_new(row, t->cols[i].name, v ? v : json_null());
    }
    return row;
}

/* Reads every answer of the query under way; rows go to fn until it
 * fails. */
static pf_error *stream(pg_conn *c, const pf_store_table *t, pf_store_row_fn fn, void *ctx) {
    pf_error *err = NULL;
    PGresult *r;
    while ((r = PQgetResult(c->pg))) {
        ExecStatusType status = PQresultStatus(r);
        if (status == PGRES_SINGLE_TUPLE && !err) {
            json_t *row = row_json(r, t);
            err = fn(ctx, row);
            json_decref(row);
        } else if (status != PGRES_SINGLE_TUPLE && status != PGRES_TUPLES_OK && !err) {
            err = pf_pg_error(c->pg, r, "reading a table to copy");
        }
        PQclear(r);
        /* fn stopped the dump: the rest of a large table is not worth
         * reading, so the session goes and the next use connects anew. */
        if (err && status == PGRES_SINGLE_TUPLE) {
            pf_pg_discard(c);
            break;
        }
    }
    return err;
}

pf_error *pf_pg_dump(pf_store *s, const pf_store_table *t, pf_store_row_fn fn, void *ctx) {
    pg_conn *c;
    pf_error *err = pf_pg_reader(s, &c);
    if (err) return err;
    char *sql = select_sql(t);
    if (!PQsendQueryParams(c->pg, sql, 0, NULL, NULL, NULL, NULL, 0) || !PQsetSingleRowMode(c->pg))
        err = pf_pg_error(c->pg, NULL, "reading a table to copy");
    else
        err = stream(c, t, fn, ctx);
    free(sql);
    pf_pg_release(c);
    return err;
}

/* INSERT INTO t (cols) SELECT each column from the rows of $1 (a JSON
 * array), in the array's order. */
static char *insert_sql(const pf_store_table *t) {
    static const char *const take[] = {
        [PF_COL_TEXT] = "e.val->>'%s'",
        [PF_COL_INT] = "(e.val->>'%s')::bigint",
        [PF_COL_JSON] = "coalesce(e.val->'%s', 'null')",
        [PF_COL_TIME] = "(e.val->>'%s')::timestamptz",
    };
    char *sql = pf_asprintf("INSERT INTO %s (", t->name), *values = NULL;
    for (int i = 0; i < t->n_cols; i++) {
        append(&sql, i ? ", " : "");
        append(&sql, t->cols[i].name);
        char *one = pf_asprintf(take[t->cols[i].kind], t->cols[i].name);
        append(&values, i ? ", " : "");
        append(&values, one);
        free(one);
    }
    append(&sql, ") SELECT ");
    append(&sql, values);
    append(&sql, " FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(val, n) ORDER BY e.n");
    free(values);
    return sql;
}

typedef struct {
    const pf_store_table *table;
    json_t *const *rows;
    size_t n;
} load_args;

static pf_error *load_locked(pg_conn *c, void *arg) {
    const load_args *a = arg;
    json_t *array = json_array();
    for (size_t i = 0; i < a->n; i++)
        json_array_append(array, a->rows[i]);
    char *text = pf_json_text(array, false), *sql = insert_sql(a->table);
    const char *values[] = {text};
    pf_error *err = pf_pg_exec_sql(c, sql, 1, values, NULL, "loading copied rows");
    free(sql);
    free(text);
    json_decref(array);
    return err;
}

pf_error *pf_pg_load(pf_store *s, const pf_store_table *t, json_t *const *rows, size_t n) {
    load_args a = {t, rows, n};
    return pf_pg_transaction(s, load_locked, &a, "loading copied rows");
}
