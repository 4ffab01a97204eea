/* The PostgreSQL backend: libpq sessions, one writer behind a lock and a
 * few readers, each with every statement prepared once; migrations in one
 * transaction under an advisory lock. All connection handling is here:
 * connecting, noticing a lost session, replacing it, preparing. */
#include "store/store_pg.h"

#include "core/mem.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every Prodflow server takes this advisory lock to migrate ("prodflow" in
 * ASCII, as a bigint). */
#define PF_PG_MIGRATION_LOCK "8102661156598738807"

/* Statements go out in pipelines of at most this many between sync points,
 * so their answers never fill the socket while libpq blocks writing. */
#define PF_PG_PIPE_CHUNK 512

pg_store *pf_pg_impl(pf_store *s) { return s->impl; }

/* Server notices (such as "already exists, skipping") are not ours to print. */
static void quiet(void *arg, const char *message) { (void)arg, (void)message; }

/* libpq's message on one line: its newlines and tabs become spaces. */
static char *conn_message(PGconn *pg) {
    char *m = pf_strdup(pg ? PQerrorMessage(pg) : "out of memory");
    for (char *p = m; *p; p++)
        if (*p == '\n' || *p == '\t') *p = ' ';
    size_t n = strlen(m);
    while (n && m[n - 1] == ' ')
        m[--n] = '\0';
    return m;
}

PGconn *pf_pg_connect(const char *url, pf_error **err) {
    /* Prodflow's defaults come before the URL, which may override them;
     * the encoding comes after it: documents are UTF-8. A session left
     * idle inside a transaction (its server stopped between two
     * statements) is ended by the database after PF_PG_IDLE_IN_TX, so
     * the locks it holds cannot keep the other servers from its runs. */
    static const char *const keys[] = {"connect_timeout", "application_name", "options",
                                       "dbname",          "client_encoding",  NULL};
    const char *const values[] = {"10", "prodflow", "-c idle_in_transaction_session_timeout=" PF_PG_IDLE_IN_TX,
                                  url,  "UTF8",     NULL};
    *err = NULL;
    char why[300];
    if (!pf_pq_load(why, sizeof why)) {
        *err = pf_error_new(PF_EUNAVAILABLE, "/store", "%s", why);
        return NULL;
    }
    PGconn *pg = PQconnectdbParams(keys, values, 1);
    if (pg && PQstatus(pg) == CONNECTION_OK) {
        PQsetNoticeProcessor(pg, quiet, NULL);
        return pg;
    }
    char *msg = conn_message(pg);
    *err = pf_error_new(PF_EUNAVAILABLE, "/store", "cannot reach the PostgreSQL database: %s", msg);
    free(msg);
    PQfinish(pg);
    return NULL;
}

static pf_error *lost(PGconn *pg, const char *what) {
    char *msg = conn_message(pg);
    pf_error *err =
        pf_error_new(PF_EUNAVAILABLE, "", "lost the connection to the PostgreSQL database while %s: %s", what, msg);
    free(msg);
    return err;
}

/* An error result as a pf_error: a lost session is PF_EUNAVAILABLE, the
 * backend's own "no such row" (SQLSTATE P0002, raised with our message) is
 * PF_ENOTFOUND, anything else PF_EIO naming what failed. */
pf_error *pf_pg_error(PGconn *pg, const PGresult *r, const char *what) {
    if (PQstatus(pg) != CONNECTION_OK) return lost(pg, what);
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (state && primary && strcmp(state, "P0002") == 0) return pf_error_new(PF_ENOTFOUND, "", "%s", primary);
    /* A fenced write whose lease passed to another server (migration 5). */
    if (state && primary && strcmp(state, "PF409") == 0) return pf_error_new(PF_ECONFLICT, "", "%s", primary);
    /* A second live run of an order line (migration 4): another dispatch,
     * perhaps on another server, came first. Other unique violations stay
     * PF_EIO, as in SQLite. */
    const char *constraint = r ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : NULL;
    if (state && primary && strcmp(state, "23505") == 0 && constraint &&
        strcmp(constraint, "runs_order_line_live") == 0)
        return pf_error_new(PF_ECONFLICT, "", "%s while %s", primary, what);
    char *msg = primary ? pf_strdup(primary) : conn_message(pg);
    pf_error *err = pf_error_new(PF_EIO, "", "database error while %s: %s", what, msg);
    free(msg);
    return err;
}

/* Takes r (which may be NULL): its error, or r itself into *res_out. */
static pf_error *finish(PGconn *pg, PGresult *r, PGresult **res_out, const char *what) {
    ExecStatusType status = PQresultStatus(r);
    if (res_out) *res_out = NULL;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        pf_error *err = pf_pg_error(pg, r, what);
        PQclear(r);
        return err;
    }
    if (res_out)
        *res_out = r;
    else
        PQclear(r);
    return NULL;
}

static pf_error *simple(PGconn *pg, const char *sql, const char *what) {
    return finish(pg, PQexec(pg, sql), NULL, what);
}

static void stmt_name(pg_query q, char name[16]) { snprintf(name, 16, "pf%d", (int)q); }

static void drop(pg_conn *c) {
    PQfinish(c->pg);
    c->pg = NULL;
    c->prepared = false;
}

void pf_pg_discard(pg_conn *c) { drop(c); }

/* Reads a pipeline's answers up to its sync point; the first error wins. */
static pf_error *collect(PGconn *pg, const char *what) {
    pf_error *err = NULL;
    for (;;) {
        PGresult *r = PQgetResult(pg);
        ExecStatusType status = r ? PQresultStatus(r) : PGRES_EMPTY_QUERY;
        if (status == PGRES_FATAL_ERROR && !err) err = pf_pg_error(pg, r, what);
        PQclear(r);
        if (status == PGRES_PIPELINE_SYNC) break;
        if (PQstatus(pg) != CONNECTION_OK) {
            if (!err) err = lost(pg, what);
            break;
        }
        /* NULL ends one statement's answers: read on to the next. */
    }
    return err;
}

/* Every statement, in one round trip. */
static pf_error *prepare_all(pg_conn *c) {
    pf_error *err = NULL;
    if (!PQenterPipelineMode(c->pg)) return lost(c->pg, "preparing statements");
    for (int q = 0; q < Q_COUNT && !err; q++) {
        char name[16];
        stmt_name((pg_query)q, name);
        if (!PQsendPrepare(c->pg, name, pf_pg_sql[q], 0, NULL)) err = lost(c->pg, "preparing statements");
    }
    if (!err && !PQpipelineSync(c->pg)) err = lost(c->pg, "preparing statements");
    if (!err) err = collect(c->pg, "preparing statements");
    PQexitPipelineMode(c->pg);
    c->prepared = err == NULL;
    return err;
}

/* Makes c usable: connects the first time; notices a session that the
 * server ended while it sat idle (a restart, pg_terminate_backend) without
 * a round trip, and replaces it; prepares the statements on a new session.
 * A session left mid-call (never, unless a call broke off) is replaced too. */
static pf_error *ensure(pg_store *st, pg_conn *c) {
    if (c->pg) {
        PQconsumeInput(c->pg);
        if (PQstatus(c->pg) != CONNECTION_OK || PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF ||
            PQtransactionStatus(c->pg) != PQTRANS_IDLE)
            drop(c);
    }
    if (!c->pg) {
        pf_error *err;
        if (!(c->pg = pf_pg_connect(st->url, &err))) return err;
    }
    if (c->prepared) return NULL;
    pf_error *err = prepare_all(c);
    if (!err && c->listens) err = simple(c->pg, "LISTEN " PF_PG_CHANNEL, "listening for run changes");
    if (!err && c->presence) {
        const char *values[] = {c->presence};
        err = finish(
            c->pg,
            PQexecParams(c->pg, "SELECT set_config('application_name', $1, false)", 1, NULL, values, NULL, NULL, 0),
            NULL, "naming the listening session");
    }
    if (err) drop(c);
    return err;
}

/* The parameters of one statement as UTF-8. The database holds UTF-8 only
 * and refuses other text outright ("invalid byte sequence"), where SQLite
 * simply finds no such key: a key from a URL with stray bytes
 * (/api/workflows/a%C3%28b) goes with them replaced by U+FFFD, so that it
 * finds nothing and the call answers not found, naming the key as given,
 * as on SQLite. */
#define PG_MAX_PARAMS 16
typedef struct {
    const char *values[PG_MAX_PARAMS];
    char *repaired[PG_MAX_PARAMS];
} pg_params;

static const char *const *as_utf8(pg_params *p, int n, const char *const *values) {
    bool bad = false;
    for (int i = 0; i < n && !bad; i++)
        bad = values[i] && !pf_utf8_valid(values[i]);
    if (!bad || n > PG_MAX_PARAMS) return values;
    for (int i = 0; i < n; i++) {
        p->repaired[i] = values[i] && !pf_utf8_valid(values[i]) ? pf_utf8_repair(pf_strdup(values[i])) : NULL;
        p->values[i] = p->repaired[i] ? p->repaired[i] : values[i];
    }
    return p->values;
}

static void params_free(pg_params *p, int n, const char *const *sent, const char *const *values) {
    if (sent == values) return;
    for (int i = 0; i < n; i++)
        free(p->repaired[i]);
}

pf_error *pf_pg_exec(pg_conn *c, pg_query q, int n, const char *const *values, PGresult **res_out, const char *what) {
    char name[16];
    stmt_name(q, name);
    pg_params p;
    const char *const *sent = as_utf8(&p, n, values);
    pf_error *err = finish(c->pg, PQexecPrepared(c->pg, name, n, sent, NULL, NULL, 0), res_out, what);
    params_free(&p, n, sent, values);
    return err;
}

pf_error *pf_pg_exec_sql(pg_conn *c, const char *sql, int n, const char *const *values, PGresult **res_out,
                         const char *what) {
    return finish(c->pg, PQexecParams(c->pg, sql, n, NULL, values, NULL, NULL, 0), res_out, what);
}

/* Tries each reader without waiting, then waits for the first. */
static pg_conn *take_reader(pg_store *st) {
    for (int i = 0; i < PF_PG_READERS; i++)
        if (pthread_mutex_trylock(&st->readers[i].lock) == 0) return &st->readers[i];
    pthread_mutex_lock(&st->readers[0].lock);
    return &st->readers[0];
}

pf_error *pf_pg_reader(pf_store *s, pg_conn **out) {
    pg_store *st = pf_pg_impl(s);
    pg_conn *c = take_reader(st);
    pf_error *err = ensure(st, c);
    if (err) {
        pthread_mutex_unlock(&c->lock);
        c = NULL;
    }
    *out = c;
    return err;
}

void pf_pg_release(pg_conn *c) { pthread_mutex_unlock(&c->lock); }

pf_error *pf_pg_read(pf_store *s, pg_query q, int n, const char *const *values, PGresult **res_out, const char *what) {
    pg_conn *c;
    pf_error *err = pf_pg_reader(s, &c);
    if (err) return err;
    err = pf_pg_exec(c, q, n, values, res_out, what);
    if (err && PQstatus(c->pg) != CONNECTION_OK) {
        /* A look-up is safe to repeat: once more, on a new session. */
        pf_error_free(err);
        drop(c);
        err = ensure(pf_pg_impl(s), c);
        if (!err) err = pf_pg_exec(c, q, n, values, res_out, what);
    }
    pf_pg_release(c);
    return err;
}

/* BEGIN on a ready writer. A session found dead at BEGIN has run nothing of
 * this call, so it is replaced once and the call goes on. */
static pf_error *begin(pg_store *st, pg_conn *c, const char *what) {
    for (int attempt = 0;; attempt++) {
        pf_error *err = ensure(st, c);
        if (!err) err = simple(c->pg, "BEGIN", what);
        if (!err || attempt == 1 || !c->pg || PQstatus(c->pg) == CONNECTION_OK) return err;
        pf_error_free(err);
        drop(c);
    }
}

pf_error *pf_pg_write(pf_store *s, pg_query q, int n, const char *const *values, PGresult **res_out, const char *what) {
    pg_store *st = pf_pg_impl(s);
    pg_conn *c = &st->writer;
    pthread_mutex_lock(&c->lock);
    pf_error *err = ensure(st, c);
    if (!err) err = pf_pg_exec(c, q, n, values, res_out, what);
    pthread_mutex_unlock(&c->lock);
    return err;
}

pf_error *pf_pg_transaction(pf_store *s, pf_error *(*fn)(pg_conn *c, void *arg), void *arg, const char *what) {
    pg_store *st = pf_pg_impl(s);
    pg_conn *c = &st->writer;
    pthread_mutex_lock(&c->lock);
    pf_error *err = begin(st, c, what);
    if (!err) {
        err = fn(c, arg);
        pf_error *end = simple(c->pg, err ? "ROLLBACK" : "COMMIT", what);
        if (end && !err)
            err = end;
        else
            pf_error_free(end);
    }
    pthread_mutex_unlock(&c->lock);
    return err;
}

struct pg_pipe {
    PGconn *pg;
    int unsynced; /* statements sent since the last sync point */
    pf_error *err;
    const char *what;
};

static void sync_point(pg_pipe *p) {
    if (!p->err && !PQpipelineSync(p->pg)) p->err = lost(p->pg, p->what);
    if (!p->err) p->err = collect(p->pg, p->what);
    p->unsynced = 0;
}

/* After an error nothing more is sent: the server skips it anyway. */
void pf_pg_send(pg_pipe *p, pg_query q, int n, const char *const *values) {
    if (p->err) return;
    char name[16];
    stmt_name(q, name);
    pg_params params;
    const char *const *sent = as_utf8(&params, n, values);
    int queued = PQsendQueryPrepared(p->pg, name, n, sent, NULL, NULL, 0);
    params_free(&params, n, sent, values);
    if (!queued)
        p->err = lost(p->pg, p->what);
    else if (++p->unsynced >= PF_PG_PIPE_CHUNK)
        sync_point(p); /* still inside the transaction: BEGIN holds it open */
}

static void send_sql(pg_pipe *p, const char *sql) {
    if (!p->err && !PQsendQueryParams(p->pg, sql, 0, NULL, NULL, NULL, NULL, 0)) p->err = lost(p->pg, p->what);
}

static pf_error *pipeline_once(pg_conn *c, void (*fn)(pg_pipe *p, void *arg), void *arg, const char *what) {
    pg_pipe p = {.pg = c->pg, .what = what};
    if (!PQenterPipelineMode(c->pg)) return lost(c->pg, what);
    send_sql(&p, "BEGIN");
    fn(&p, arg);
    send_sql(&p, "COMMIT"); /* skipped by the server after an error */
    sync_point(&p);
    PQexitPipelineMode(c->pg);
    /* After an error the transaction is left aborted: end it. */
    if (PQstatus(c->pg) == CONNECTION_OK && PQpipelineStatus(c->pg) == PQ_PIPELINE_OFF &&
        PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        pf_error_free(simple(c->pg, "ROLLBACK", what));
    return p.err;
}

pf_error *pf_pg_pipeline(pf_store *s, void (*fn)(pg_pipe *p, void *arg), void *arg, const char *what) {
    pg_store *st = pf_pg_impl(s);
    pg_conn *c = &st->writer;
    pf_error *err = NULL;
    pthread_mutex_lock(&c->lock);
    for (int attempt = 0; attempt < 2; attempt++) {
        pf_error_free(err);
        if ((err = ensure(st, c))) break;
        err = pipeline_once(c, fn, arg, what);
        if (!err || PQstatus(c->pg) == CONNECTION_OK) break;
        drop(c); /* lost midway: the writes are idempotent, so send them again once */
    }
    pthread_mutex_unlock(&c->lock);
    return err;
}

pf_error *pf_pg_pipeline_once(pf_store *s, void (*fn)(pg_pipe *p, void *arg), void *arg, const char *what) {
    pg_store *st = pf_pg_impl(s);
    pg_conn *c = &st->writer;
    pthread_mutex_lock(&c->lock);
    pf_error *err = ensure(st, c);
    if (!err) err = pipeline_once(c, fn, arg, what);
    if (err && c->pg && PQstatus(c->pg) != CONNECTION_OK) drop(c); /* the next call connects anew */
    pthread_mutex_unlock(&c->lock);
    return err;
}

const char *pf_pg_text(const PGresult *r, int row, int col) { return PQgetvalue(r, row, col); }

long long pf_pg_int(const PGresult *r, int row, int col) { return strtoll(PQgetvalue(r, row, col), NULL, 10); }

json_t *pf_pg_json(const PGresult *r, int row, int col) {
    json_t *v = PQgetisnull(r, row, col) ? NULL : json_loads(PQgetvalue(r, row, col), JSON_DECODE_ANY, NULL);
    return v ? v : json_null();
}

long long pf_pg_changes(const PGresult *r) { return strtoll(PQcmdTuples((PGresult *)r), NULL, 10); }

static pf_error *current_version(PGconn *pg, int *version) {
    PGresult *r = NULL;
    pf_error *err =
        finish(pg, PQexec(pg, "SELECT coalesce(max(version), 0) FROM schema_migrations"), &r, "reading the schema");
    *version = err ? 0 : (int)pf_pg_int(r, 0, 0);
    PQclear(r);
    return err;
}

static pf_error *record(PGconn *pg, int version) {
    char text[16];
    snprintf(text, sizeof text, "%d", version);
    const char *values[] = {text};
    return finish(
        pg, PQexecParams(pg, "INSERT INTO schema_migrations (version) VALUES ($1)", 1, NULL, values, NULL, NULL, 0),
        NULL, "recording a migration");
}

/* The pending migrations up to target, applied (unless dry_run) and listed
 * in report; with *version the schema's version after. */
static pf_error *apply(PGconn *pg, int target, bool dry_run, json_t *report, int *version) {
    int current = 0;
    pf_error *err = current_version(pg, &current);
    *version = current;
    if (!err && current > pf_pg_n_migrations)
        err = pf_error_new(PF_ECONFLICT, "",
                           "the database is at schema version %d, newer than this Prodflow knows (%d); "
                           "upgrade Prodflow instead of downgrading the data",
                           current, pf_pg_n_migrations);
    json_t *statements = json_array();
    for (int v = current + 1; !err && v <= target; v++) {
        json_array_append_new(statements, json_pack("{s:i, s:s}", "version", v, "sql", pf_pg_migrations[v - 1]));
        if (dry_run) continue;
        if (!(err = simple(pg, pf_pg_migrations[v - 1], "applying a migration")) && !(err = record(pg, v)))
            *version = v;
    }
    if (report) {
        json_object_set_new(report, "current_version", json_integer(current));
        json_object_set_new(report, "target_version", json_integer(target));
        json_object_set_new(report, "statements", statements);
    } else {
        json_decref(statements);
    }
    return err;
}

pf_error *pf_pg_migrate(PGconn *pg, int target, bool dry_run, json_t *report, int *version_out) {
    if (target == 0) target = pf_pg_n_migrations;
    int version = 0;
    /* The lock is the transaction's: a second server waits here, then finds
     * nothing left to do. */
    pf_error *err = simple(pg, "BEGIN", "starting the migrations");
    if (!err) err = simple(pg, "SELECT pg_advisory_xact_lock(" PF_PG_MIGRATION_LOCK ")", "taking the migration lock");
    if (!err)
        err = simple(pg,
                     "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
                     "applied_at timestamptz NOT NULL DEFAULT now())",
                     "creating schema_migrations");
    if (!err) err = apply(pg, target, dry_run, report, &version);
    if (PQtransactionStatus(pg) != PQTRANS_IDLE) {
        pf_error *end = simple(pg, err || dry_run ? "ROLLBACK" : "COMMIT", "committing the migrations");
        if (end && !err)
            err = end;
        else
            pf_error_free(end);
    }
    if (version_out) *version_out = err || dry_run ? 0 : version;
    return err;
}

pf_error *pf_store_pg_migrate(const char *url, int target, bool dry_run, json_t **report) {
    *report = json_pack("{s:s, s:b}", "backend", "postgresql", "dry_run", dry_run);
    if (target < 0 || target > pf_pg_n_migrations)
        return pf_error_new(PF_EINVAL, "", "there is no schema version %d (this Prodflow knows 1 to %d)", target,
                            pf_pg_n_migrations);
    pf_error *err;
    PGconn *pg = pf_pg_connect(url, &err);
    if (!pg) return err;
    err = pf_pg_migrate(pg, target, dry_run, *report, NULL);
    PQfinish(pg);
    return err;
}

/* ---------------------------------------------------------------- LISTEN */

/* The listening session and the thread that waits on it. A pipe wakes the
 * thread to stop, so it never polls on a clock while the session lives. */
struct pg_listener {
    pg_conn conn;
    pf_store_notice_fn fn, on_cancel;
    void *user;
    int wake[2];
    pthread_t thread;
};

/* How long to wait before connecting again when the database is away. */
#define PF_PG_LISTEN_RETRY_MS 1000

/* Waits until fd is readable or the stop pipe is (true: stop), or
 * timeout_ms passes (-1: no time-out). */
static bool wait_or_stop(int fd, int stop_fd, int timeout_ms) {
    struct pollfd fds[2] = {{.fd = stop_fd, .events = POLLIN}, {.fd = fd, .events = POLLIN}};
    int n = poll(fds, fd >= 0 ? 2 : 1, timeout_ms);
    return n > 0 && (fds[0].revents & POLLIN);
}

static void *listen_main(void *arg) {
    pf_store *s = arg;
    pg_store *st = pf_pg_impl(s);
    struct pg_listener *l = st->listener;
    pthread_setname_np(pthread_self(), "pf-pg-listen");
    bool missed = false; /* the session was lost: notices may have gone by */
    for (;;) {
        pf_error *err = ensure(st, &l->conn);
        if (err) {
            pf_error_free(err);
            missed = true;
            if (wait_or_stop(-1, l->wake[0], PF_PG_LISTEN_RETRY_MS)) break;
            continue;
        }
        if (missed) {
            missed = false;
            l->fn(l->user, NULL);
        }
        /* ensure() may have read notices already: hand them on first */
        PGnotify *n;
        while ((n = PQnotifies(l->conn.pg))) {
            const size_t prefix = strlen(PF_PG_CANCEL_PREFIX);
            if (n->extra && strncmp(n->extra, PF_PG_CANCEL_PREFIX, prefix) == 0) {
                if (l->on_cancel && n->extra[prefix]) l->on_cancel(l->user, n->extra + prefix);
            } else if (n->extra && *n->extra) {
                l->fn(l->user, n->extra);
            }
            PQfreemem(n);
        }
        if (wait_or_stop(PQsocket(l->conn.pg), l->wake[0], -1)) break;
        if (!PQconsumeInput(l->conn.pg)) { /* lost: ensure() connects anew */
            drop(&l->conn);
            missed = true;
        }
    }
    drop(&l->conn);
    return NULL;
}

pf_error *pf_pg_listen(pf_store *s, const char *owner, pf_store_notice_fn fn, pf_store_notice_fn on_cancel,
                       void *user) {
    pg_store *st = pf_pg_impl(s);
    if (st->listener) return pf_error_new(PF_ECONFLICT, "/store", "the store already has a listener for run changes");
    struct pg_listener *l = pf_xcalloc(1, sizeof *l);
    l->fn = fn, l->on_cancel = on_cancel, l->user = user, l->conn.listens = true;
    pthread_mutex_init(&l->conn.lock, NULL);
    if (pipe(l->wake) != 0) {
        pthread_mutex_destroy(&l->conn.lock);
        free(l);
        return pf_error_new(PF_EIO, "/store", "cannot make a pipe for the run-change listener");
    }
    if (owner) l->conn.presence = pf_asprintf(PF_PG_PRESENCE "%s", owner);
    /* LISTEN before returning, so that no change committed after this call
     * goes unheard; a database away now is retried by the thread. */
    pf_error_free(ensure(st, &l->conn));
    st->listener = l;
    pthread_create(&l->thread, NULL, listen_main, s);
    return NULL;
}

void pf_pg_unlisten(pf_store *s) {
    pg_store *st = pf_pg_impl(s);
    struct pg_listener *l = st->listener;
    if (!l) return;
    ssize_t w = write(l->wake[1], "x", 1);
    (void)w;
    pthread_join(l->thread, NULL);
    close(l->wake[0]);
    close(l->wake[1]);
    pthread_mutex_destroy(&l->conn.lock);
    free(l->conn.presence);
    free(l);
    st->listener = NULL;
}

static void conn_close(pg_conn *c) {
    PQfinish(c->pg);
    pthread_mutex_destroy(&c->lock);
}

static void pg_close(pf_store *s) {
    pf_pg_unlisten(s);
    pg_store *st = pf_pg_impl(s);
    for (int i = 0; i < PF_PG_READERS; i++)
        conn_close(&st->readers[i]);
    conn_close(&st->writer);
    free(st->url);
    free(st);
    free(s);
}

static int pg_schema_version(pf_store *s) { return pf_pg_impl(s)->version; }

static pf_error *probe(pg_conn *c, void *arg) {
    (void)arg;
    PGresult *r = NULL;
    pf_error *err = pf_pg_exec_sql(c, "SELECT current_setting('transaction_read_only')", 0, NULL, &r,
                                   "checking that the database takes writes");
    if (!err && strcmp(pf_pg_text(r, 0, 0), "off") != 0)
        err = pf_error_new(PF_EUNAVAILABLE, "",
                           "the PostgreSQL database is read-only (a standby, or "
                           "default_transaction_read_only)");
    PQclear(r);
    return err;
}

/* A read-write transaction on the writer's connection, rolled back. */
static pf_error *pg_probe_write(pf_store *s) {
    return pf_pg_transaction(s, probe, NULL, "checking that the database takes writes");
}

static const pf_store_ops pg_ops = {
    .name = "postgresql",
    .close = pg_close,
    .probe_write = pg_probe_write,
    .schema_version = pg_schema_version,
    .workflow_save = pf_pg_workflow_save,
    .workflow_get = pf_pg_workflow_get,
    .workflow_list = pf_pg_workflow_list,
    .workflow_versions = pf_pg_workflow_versions,
    .workflow_delete = pf_pg_workflow_delete,
    .run_create = pf_pg_run_create,
    .run_transitions = pf_pg_run_transitions,
    .run_get = pf_pg_run_get,
    .run_list = pf_pg_run_list,
    .asset_list = pf_pg_asset_list,
    .artifact_get = pf_pg_artifact_get,
    .cache_find = pf_pg_cache_find,
    .cache_find_many = pf_pg_cache_find_many,
    .run_request_cancel = pf_pg_run_request_cancel,
    .items_write = pf_pg_items_write,
    .item_get = pf_pg_item_get,
    .item_list = pf_pg_item_list,
    .run_claim = pf_pg_run_claim,
    .run_renew = pf_pg_run_renew,
    .run_lease = pf_pg_run_lease,
    .run_fence_held = pf_pg_run_fence_held,
    .effect_claim = pf_pg_effect_claim,
    .effect_done = pf_pg_effect_done,
    .run_release = pf_pg_run_release,
    .listen = pf_pg_listen,
    .unlisten = pf_pg_unlisten,
    .dump = pf_pg_dump,
    .load = pf_pg_load,
};

/* The writer connects and migrates now, so a bad URL or an old Prodflow
 * fails at start; readers connect when first needed. */
pf_error *pf_store_pg_open(const char *url, pf_store **out) {
    *out = NULL;
    pf_error *err;
    PGconn *pg = pf_pg_connect(url, &err);
    if (!pg) return err;
    int version = 0;
    if ((err = pf_pg_migrate(pg, 0, false, NULL, &version))) {
        PQfinish(pg);
        return err;
    }
    pg_store *st = pf_xcalloc(1, sizeof *st);
    st->url = pf_strdup(url);
    st->version = version;
    st->writer.pg = pg;
    pthread_mutex_init(&st->writer.lock, NULL);
    for (int i = 0; i < PF_PG_READERS; i++)
        pthread_mutex_init(&st->readers[i].lock, NULL);
    pf_store *s = pf_xcalloc(1, sizeof *s);
    s->ops = &pg_ops;
    s->impl = st;
    *out = s;
    return NULL;
}
