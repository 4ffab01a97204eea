/* The store: one interface, a backend table inside. SQLite is the embedded
 * default; PostgreSQL is the scale-out backend, with the same answers.
 * json_t results are new references for the caller; json_t parameters are
 * borrowed; a returned pf_error is the caller's, NULL meaning success. */
#ifndef PF_STORE_STORE_H
#define PF_STORE_STORE_H

#include "core/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct pf_store pf_store;

/* location: a directory (SQLite at DIR/prodflow.db), "sqlite:PATH", or a
 * libpq URI "postgresql://..." or "postgres://...". Creates and migrates;
 * an unreachable database is PF_EUNAVAILABLE. */
pf_error *pf_store_open(const char *location, pf_store **out);
void pf_store_close(pf_store *store);
int pf_store_schema_version(pf_store *store);
/* "sqlite" or "postgresql". */
const char *pf_store_backend(const pf_store *store);
/* Whether the store can take a write now, without changing anything: the
 * write lock is taken and released (SQLite: BEGIN IMMEDIATE, waiting at
 * most a second for another process's lock; PostgreSQL: a read-write
 * transaction on a reachable primary). For /api/health. */
pf_error *pf_store_probe_write(pf_store *store);
/* prodflow_store_errors_total in Prometheus text. */
void pf_store_metrics_write(const pf_store *store, FILE *out);

/* Brings the database at location to the newest schema (pf_store_open does
 * this too), or with dry_run only says what that would run. *report (the
 * caller's, also on most errors) is {backend, current_version,
 * target_version, dry_run, statements: [{version, sql}]}. PostgreSQL
 * migrates in one transaction under an advisory lock, so servers starting
 * together migrate once. */
pf_error *pf_store_migrate(const char *location, bool dry_run, json_t **report);
/* The same, stopping at target_version (0: the newest); it never goes
 * back. Tests use it to build a database at an older schema. */
pf_error *pf_store_migrate_to(const char *location, int target_version, bool dry_run, json_t **report);

/* Copies everything in from (workflows and all their versions, runs with
 * their docs and nodes, artifact rows, published assets, cache entries,
 * items with their revisions; time stamps kept) into to, which must hold
 * no data yet. Each table is then read back from to and checked against
 * from by its row count and a digest (sha256 over its rows as canonical
 * JSON, in key order). *report: {from, to, tables: {name: {rows, sha256}}};
 * a difference is an error that the report shows. Copy a store that no
 * server is writing to. */
pf_error *pf_store_copy(pf_store *from, pf_store *to, json_t **report);

/* A reference between items, checked in the write's own transaction, so
 * that a referrer and the deletion of what it names never both commit (a
 * check before the write would let one slip in between). kind "workflow"
 * means the workflows table (a workflow not deleted). */
typedef struct pf_store_ref {
    const char *kind;
    /* A delete: the field of kind's items that names the deleted key, a
     * string or an array of strings ("a.b" for a nested one); any such
     * item refuses the delete with PF_ECONFLICT. A create, replace or
     * upsert: the writer's field naming key, the error's pointer. */
    const char *field;
    const char *key; /* a write other than a delete: kind's item that must exist, else PF_ECONFLICT */
} pf_store_ref;
/* Saves doc as a new immutable version (latest + 1), with its "version"
 * set. expected_version 0 means any; otherwise a different latest version
 * is a conflict. create_only refuses an existing id. */
pf_error *pf_store_workflow_save(pf_store *s, const json_t *doc, int expected_version, bool create_only,
                                 json_t **stored_out);
/* version 0 means the latest; a deleted workflow has no latest, but its
 * versions stay readable because runs refer to them. */
pf_error *pf_store_workflow_get(pf_store *s, const char *id, int version, json_t **doc_out);
/* [{id, name, family, latest_version, created_at, updated_at}] by id. */
pf_error *pf_store_workflow_list(pf_store *s, const char *family, json_t **list_out);
/* [{version, created_at, sha256}] ascending. */
pf_error *pf_store_workflow_versions(pf_store *s, const char *id, json_t **list_out);
pf_error *pf_store_workflow_delete(pf_store *s, const char *id);
/* The same, refused with PF_ECONFLICT (nothing deleted) while an item
 * refers to the workflow by one of refs' fields (pf_store_ref), checked in
 * the delete's transaction. */
pf_error *pf_store_workflow_delete_unreferred(pf_store *s, const char *id, const pf_store_ref *refs, size_t n_refs);

/* Runs. A run row holds {id, workflow_id, workflow_version, family, status,
 * subject, doc}; each node has a row {status, state}. Every call is one
 * transaction, so a crash leaves each transition whole or absent. */
/* A new run has no node rows: a workflow node without a row reads back as
 * pending. The row may carry "doc_text", the doc already serialised
 * compactly, which is stored instead of serialising "doc" again, and
 * "lease_owner" with "lease_seconds": the creating server holds the run's
 * lease from the start (PostgreSQL), at epoch 1. A second live run of an order line
 * (subject.order_line, not a shadow, not failed or cancelled) is a
 * conflict: two servers dispatching one line create one run. */
pf_error *pf_store_run_create(pf_store *s, const json_t *run);
/* Writes that belong to a node's transition and commit with it. */
typedef struct pf_store_node_extras {
    const json_t *artifacts; /* array of artifact rows {id, sha256, run_id, node_id, role, media_type, size, ...} */
    const json_t *assets;    /* array of published assets {id, run_id, node_id, ...}; a second one
                                for the same (run, node) is ignored */
    const char *cache_key;   /* with cache_slot and cache_entry: a module cache entry; may be NULL */
    const char *cache_slot;
    const json_t *cache_entry;
    const char *cache_entry_text; /* or the entry as compact JSON text, made off the writer's path */
} pf_store_node_extras;

/* Moves the run and/or one node: run_status and node_id may be NULL;
 * run_doc (when not NULL) replaces the run's doc; extras may be NULL. */
pf_error *pf_store_run_transition(pf_store *s, const char *run_id, const char *run_status, const json_t *run_doc,
                                  const char *node_id, const char *node_status, const json_t *node_state,
                                  const pf_store_node_extras *extras);

/* A fencing token: the lease a server holds a run under. Every claim of a
 * run raises its lease epoch, so a server that was paused past its lease
 * (SIGSTOP, a VM freeze) and still believes it holds the run carries an
 * older epoch than the server that took it over. */
typedef struct pf_store_fence {
    const char *owner;
    long long epoch;
} pf_store_fence;

/* One transition, for committing several together (group commit): each
 * is whole or absent after a crash, and all of them commit at once. */
typedef struct pf_store_transition {
    const char *run_id, *run_status, *node_id, *node_status;
    const json_t *run_doc, *node_state;
    const pf_store_node_extras *extras;
    const char *node_state_text; /* or node_state as compact JSON text */
    /* When not NULL, the transition is written only while the run's lease
     * is still fence->owner's at fence->epoch, checked in the same
     * transaction (and the run's row locked against a claim until it
     * commits). */
    const pf_store_fence *fence;
} pf_store_transition;
/* All or nothing: a transition whose fence no longer holds fails the
 * whole call with PF_ECONFLICT. */
pf_error *pf_store_run_transitions(pf_store *s, const pf_store_transition *items, size_t n);
/* The same for a group commit of several runs: the transitions whose
 * fence no longer holds are left out (refused[i] set true; the others
 * false) and the rest commit together. */
pf_error *pf_store_run_commit(pf_store *s, const pf_store_transition *items, size_t n, bool *refused);
/* Whether fence still holds run_id's lease (*held), for a side effect
 * (publish, notify) to check before it acts. */
pf_error *pf_store_run_fence_held(pf_store *s, const char *run_id, const pf_store_fence *fence, bool *held);

/* Side effects (publish, notify): each is claimed in the store before it
 * is performed and marked done after, one row per (run, node, key).
 * Claims the effect for the caller, only while fence (when not NULL)
 * still holds the run's lease, checked in the same statement or
 * transaction, so of two servers only the lease holder claims it, and a
 * refused claim (PF_ECONFLICT) records nothing. *claim_out: {owner, epoch,
 * claims, claimed_at}, and when the effect was done already also done_at
 * and result: then nothing was claimed, and the caller does not perform
 * it again but takes the result. claims > 1 means an earlier claim was
 * never marked done: the effect may or may not have happened, and is
 * performed again the same way (the same Idempotency-Key). */
pf_error *pf_store_effect_claim(pf_store *s, const char *run_id, const char *node_id, const char *key,
                                const pf_store_fence *fence, json_t **claim_out);
/* Marks a claimed effect done with its result (what the module returned).
 * Not fenced: a server that lost the lease after it acted did act. The
 * first record stays. */
pf_error *pf_store_effect_done(pf_store *s, const char *run_id, const char *node_id, const char *key,
                               const json_t *result);
/* {id, workflow_id, workflow_version, family, status, subject, created_at,
 * updated_at}, and with details also doc and nodes: {id: {status, state}}. */
pf_error *pf_store_run_get(pf_store *s, const char *run_id, bool details, json_t **run_out);
/* Newest first, without nodes or doc; status may be NULL for all. */
pf_error *pf_store_run_list(pf_store *s, const char *status, json_t **list_out);

/* A lease owner's name: it also names the server's listening session
 * (pf_store_listen), which PostgreSQL keeps to 63 bytes of printable ASCII. */
#define PF_LEASE_OWNER_MAX 54
#define PF_LEASE_OWNER_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"

/* Run leases, for several servers on one PostgreSQL database (SQLite
 * answers PF_EUNAVAILABLE: one server needs none). Times come from the
 * database's clock, one for every server.
 * Claims up to max queued or running runs whose lease is absent or ran
 * out (and, with own_too, those owner holds already: a restart under the
 * same name), never one of running (a JSON array of the ids owner is
 * running, may be NULL: a lease of its own that lapsed while it was busy
 * is renewed, not claimed from itself), with FOR UPDATE SKIP LOCKED so
 * that servers claiming together each get different runs; each is leased
 * to owner for lease_seconds and its lease epoch raised. *ids_out: the
 * claimed runs, oldest first, as [{id, epoch, holder_alive}]: the fence
 * each is held under now, and whether the server that held it before is
 * still connected (a starved server, not a dead one; see pf_store_listen). */
pf_error *pf_store_run_claim(pf_store *s, const char *owner, int lease_seconds, bool own_too, const json_t *running,
                             size_t max, json_t **ids_out);
/* Extends owner's leases on the runs among runs ([{id, epoch}]: those the
 * server is running; a lease on any other run lapses), each only while
 * owner still holds it at that epoch: a lease another server claimed
 * meanwhile is not taken back. *held_out (may be NULL): the ids owner
 * holds now. */
pf_error *pf_store_run_renew(pf_store *s, const char *owner, int lease_seconds, const json_t *runs, json_t **held_out);
/* Takes the lease of one run (a re-run) when nobody holds it, its lease
 * ran out, or owner holds it; raises its epoch into *epoch. PF_ECONFLICT
 * when another server holds it, PF_ENOTFOUND for an unknown run. */
pf_error *pf_store_run_lease(pf_store *s, const char *owner, int lease_seconds, const char *run_id, long long *epoch);
/* Gives up owner's leases, so another server takes those runs at once. */
pf_error *pf_store_run_release(pf_store *s, const char *owner);

/* Asks the server that runs a live (queued or running) run to cancel it,
 * for a cancel that reached another server (PostgreSQL; SQLite answers
 * PF_EUNAVAILABLE). In one transaction: notes cancel_requested_at in the
 * run's doc, so that a server that resumes or claims the run later ends
 * it cancelled instead of running it, and announces the request to every
 * listener's on_cancel. PF_ENOTFOUND for an unknown run, PF_ECONFLICT for
 * a run that is final already. */
pf_error *pf_store_run_request_cancel(pf_store *s, const char *run_id);

/* Change notices from other servers sharing the database (PostgreSQL
 * LISTEN/NOTIFY): fn(user, run_id) is called on the store's own thread
 * after any server commits a change of that run, and fn(user, NULL) after
 * the notices were interrupted (anything may have changed);
 * on_cancel(user, run_id) (may be NULL) after a server asked for that
 * run's cancel (pf_store_run_request_cancel). One listener per store;
 * SQLite has no other servers and never calls. Stop it with
 * pf_store_unlisten before what user points to goes away. owner (may be
 * NULL) is the server's lease owner: the listening session carries it for
 * as long as the server lives, which is how a claim tells a run taken
 * from a live server from one whose server went down. */
typedef void (*pf_store_notice_fn)(void *user, const char *run_id);
pf_error *pf_store_listen(pf_store *s, const char *owner, pf_store_notice_fn fn, pf_store_notice_fn on_cancel,
                          void *user);
void pf_store_unlisten(pf_store *s);

/* Published assets, newest first; run_id may be NULL for all. */
pf_error *pf_store_asset_list(pf_store *s, const char *run_id, json_t **list_out);

/* An artifact's metadata row (rows are written with node transitions); the
 * files live in the artifact store. */
pf_error *pf_store_artifact_get(pf_store *s, const char *id, json_t **artifact_out);

/* The module cache entry under key, else the newest entry of the slot
 * (module and workflow node), which explains a miss; *exact tells which.
 * *entry_out is NULL when neither exists. Entries are written with node
 * transitions. */
pf_error *pf_store_cache_find(pf_store *s, const char *key, const char *slot, json_t **entry_out, bool *exact);
/* n look-ups as pf_store_cache_find makes them, in one round trip on
 * PostgreSQL: entries_out[i] and exact[i] answer keys[i] and slots[i]. */
pf_error *pf_store_cache_find_many(pf_store *s, size_t n, const char *const *keys, const char *const *slots,
                                   json_t **entries_out, bool *exact);

/* Items: catalog and order documents by kind ("category", "output_type",
 * "order", ...) and key. A write either creates (a conflict if the key is
 * taken), replaces (not found if it is not), or upserts; several writes
 * commit together. Read documents carry created_at, updated_at and
 * revision, which every write raises: a replace given if_revision fails
 * with a conflict when another write came first. */
typedef enum { PF_ITEM_CREATE, PF_ITEM_REPLACE, PF_ITEM_UPSERT, PF_ITEM_DELETE } pf_item_op;
typedef struct pf_store_item {
    pf_item_op op;
    const char *kind, *key;
    const json_t *doc;     /* NULL for PF_ITEM_DELETE */
    long long if_revision; /* PF_ITEM_REPLACE only when the stored revision is this; 0: any */
    /* Checked in the same transaction as the write (pf_store_ref); on
     * PostgreSQL the referee's row is locked FOR SHARE by a referrer's
     * write and first deleted, then its referrers looked for, by a delete:
     * under READ COMMITTED the second of the two waits for the first and
     * then sees what it committed. */
    const pf_store_ref *refs;
    size_t n_refs;
} pf_store_item;
pf_error *pf_store_items_write(pf_store *s, const pf_store_item *items, size_t n);
pf_error *pf_store_item_get(pf_store *s, const char *kind, const char *key, json_t **doc_out);
/* Every document of a kind, by key. */
pf_error *pf_store_item_list(pf_store *s, const char *kind, json_t **list_out);

#endif
