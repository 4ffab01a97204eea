/* Every statement the PostgreSQL backend prepares, in one place. They
 * mirror the SQLite backend's: the same rows, the same order. Time stamps
 * come from pf_now() (the transaction's start, to the millisecond) and
 * leave as ISO text through pf_iso(); both are in migration 1. */
#include "store/store_pg.h"

#define RUN_COLUMNS                                                                                                    \
    "id, workflow_id, workflow_version, family, status, subject, NULL, pf_iso(created_at), pf_iso(updated_at)"
#define ITEM_COLUMNS "doc, pf_iso(created_at), pf_iso(updated_at), revision"

const char *const pf_pg_sql[Q_COUNT] = {
    /* A save locks the workflow's row, so concurrent saves (from any
     * server) take turns and the second sees the first's version. */
    [Q_WF_LOCK] = "SELECT latest_version, deleted_at IS NOT NULL FROM workflows WHERE id = $1 FOR UPDATE",
    [Q_WF_INSERT] = "INSERT INTO workflows (id, name, family, latest_version, created_at, updated_at) "
                    "VALUES ($1, $2, $3, $4, pf_now(), pf_now()) ON CONFLICT (id) DO NOTHING",
    [Q_WF_UPDATE] = "UPDATE workflows SET name = $2, family = $3, latest_version = $4, updated_at = pf_now(), "
                    "deleted_at = NULL WHERE id = $1",
    [Q_WF_VERSION_INSERT] = "INSERT INTO workflow_versions (workflow_id, version, doc, sha256, created_at) "
                            "VALUES ($1, $2, $3, $4, pf_now())",
    [Q_WF_GET] = "SELECT w.latest_version, w.deleted_at IS NOT NULL, v.doc FROM workflows w "
                 "LEFT JOIN workflow_versions v ON v.workflow_id = w.id "
                 "AND v.version = CASE WHEN $2::integer = 0 THEN w.latest_version ELSE $2::integer END "
                 "WHERE w.id = $1",
    [Q_WF_LIST] = "SELECT id, name, family, latest_version, pf_iso(created_at), pf_iso(updated_at) FROM workflows "
                  "WHERE deleted_at IS NULL ORDER BY id",
    [Q_WF_LIST_FAMILY] = "SELECT id, name, family, latest_version, pf_iso(created_at), pf_iso(updated_at) "
                         "FROM workflows WHERE deleted_at IS NULL AND family = $1 ORDER BY id",
    [Q_WF_VERSIONS] = "SELECT version, pf_iso(created_at), sha256 FROM workflow_versions WHERE workflow_id = $1 "
                      "ORDER BY version",
    [Q_WF_DELETE] = "UPDATE workflows SET deleted_at = pf_now() WHERE id = $1 AND deleted_at IS NULL",

    /* The creating server leases the run at once, at epoch 1 ($7 NULL:
     * nobody does). */
    [Q_RUN_INSERT] = "INSERT INTO runs (id, workflow_id, workflow_version, family, status, subject, created_at, "
                     "updated_at, lease_owner, lease_until, lease_epoch) VALUES ($1, $2, $3, $4, $5, $6, pf_now(), "
                     "pf_now(), $7, CASE WHEN $7::text IS NULL THEN NULL ELSE now() + make_interval(secs => "
                     "$8::integer) END, CASE WHEN $7::text IS NULL THEN 0 ELSE 1 END)",
    [Q_RUN_DOC_INSERT] = "INSERT INTO run_docs (run_id, doc) VALUES ($1, $2)",
    [Q_RUN_STATUS] = "SELECT pf_run_status($1, $2)",
    [Q_RUN_DOC_UPDATE] = "UPDATE run_docs SET doc = $2 WHERE run_id = $1",
    /* A group commit's rows of each kind go in one statement each
     * (store_pg_runs.c): a JSON array of them, with the states or entries
     * (JSON themselves) in a second array beside, matched by position.
     * A row written twice in one group: the last one stands, as it did
     * row by row (DO UPDATE may not touch a row twice in one statement). */
    [Q_NODES_PUT] = "INSERT INTO run_nodes (run_id, node_id, status, state) "
                    "SELECT DISTINCT ON (k.v->>0, k.v->>1) k.v->>0, k.v->>1, k.v->>2, s.v "
                    "FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS k(v, i) "
                    "JOIN jsonb_array_elements($2::jsonb) WITH ORDINALITY AS s(v, j) ON s.j = k.i "
                    "ORDER BY k.v->>0, k.v->>1, k.i DESC "
                    "ON CONFLICT (run_id, node_id) DO UPDATE SET status = excluded.status, state = excluded.state",
    /* The id is derived from (run, node, port): writing it again is a no-op. */
    [Q_ARTIFACTS_PUT] = "INSERT INTO artifacts (id, sha256, run_id, node_id, role, media_type, size, doc, created_at) "
                        "SELECT a->>'id', a->>'sha256', a->>'run_id', a->>'node_id', a->>'role', a->>'media_type', "
                        "coalesce((a->>'size')::bigint, 0), a, pf_now() FROM jsonb_array_elements($1::jsonb) AS e(a) "
                        "ON CONFLICT (id) DO NOTHING",
    /* A node that runs again after a crash publishes the same asset: the
     * first row stands. */
    [Q_ASSETS_PUT] = "INSERT INTO assets (id, run_id, node_id, doc, created_at) "
                     "SELECT a->>'id', a->>'run_id', a->>'node_id', a, pf_now() FROM jsonb_array_elements($1::jsonb) "
                     "AS e(a) ON CONFLICT DO NOTHING",
    /* In the group's order, so that seq orders a slot's entries as before. */
    [Q_CACHE_PUT] = "INSERT INTO module_cache (key, slot, doc, created_at) SELECT key, slot, doc, pf_now() FROM "
                    "(SELECT DISTINCT ON (k.v->>0) k.v->>0 AS key, k.v->>1 AS slot, e.v AS doc, k.i "
                    "FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS k(v, i) "
                    "JOIN jsonb_array_elements($2::jsonb) WITH ORDINALITY AS e(v, j) ON e.j = k.i "
                    "ORDER BY k.v->>0, k.i DESC) last ORDER BY i "
                    "ON CONFLICT (key) DO UPDATE SET slot = excluded.slot, doc = excluded.doc, "
                    "created_at = excluded.created_at",
    [Q_RUN_GET] = "SELECT " RUN_COLUMNS ", NULL FROM runs WHERE id = $1",
    /* One statement, so the run and its nodes come from one snapshot. */
    [Q_RUN_GET_DETAILS] = "SELECT r.id, r.workflow_id, r.workflow_version, r.family, r.status, r.subject, d.doc, "
                          "pf_iso(r.created_at), pf_iso(r.updated_at), "
                          "(SELECT json_agg(json_build_array(n.node_id, n.status, n.state) ORDER BY n.node_id) "
                          "FROM run_nodes n WHERE n.run_id = r.id) "
                          "FROM runs r LEFT JOIN run_docs d ON d.run_id = r.id WHERE r.id = $1",
    [Q_RUN_LIST] = "SELECT " RUN_COLUMNS " FROM runs ORDER BY created_at DESC, id DESC",
    [Q_RUN_LIST_STATUS] = "SELECT " RUN_COLUMNS " FROM runs WHERE status = $1 ORDER BY created_at DESC, id DESC",
    [Q_ARTIFACT_GET] = "SELECT doc FROM artifacts WHERE id = $1",
    [Q_ASSET_LIST] = "SELECT doc, pf_iso(created_at) FROM assets ORDER BY created_at DESC, id",
    [Q_ASSET_LIST_RUN] = "SELECT doc, pf_iso(created_at) FROM assets WHERE run_id = $1 ORDER BY created_at DESC, id",
    /* One look-up for a hit or, failing that, what explains the miss. */
    [Q_CACHE_FIND] = "SELECT key, doc FROM (SELECT 0 AS pick, key, doc FROM module_cache WHERE key = $1 "
                     "UNION ALL (SELECT 1, key, doc FROM module_cache WHERE slot = $2 "
                     "ORDER BY created_at DESC, seq DESC LIMIT 1)) found ORDER BY pick LIMIT 1",

    /* The same for several (key, slot) pairs, given as two JSON arrays:
     * rows (position from 1, key, doc) for the pairs that found anything. */
    [Q_CACHE_FIND_MANY] =
        "SELECT k.i, f.key, f.doc FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY AS k(key, i) "
        "JOIN jsonb_array_elements_text($2::jsonb) WITH ORDINALITY AS s(slot, j) ON s.j = k.i "
        "CROSS JOIN LATERAL (SELECT key, doc FROM (SELECT 0 AS pick, key, doc FROM module_cache WHERE key = k.key "
        "UNION ALL (SELECT 1, key, doc FROM module_cache WHERE slot = s.slot "
        "ORDER BY created_at DESC, seq DESC LIMIT 1)) found ORDER BY pick LIMIT 1) AS f",

    /* The run's status, locked against a concurrent transition, and
     * whether its doc now holds the request (only a live run's does). */
    [Q_RUN_CANCEL_REQUEST] =
        "WITH run AS (SELECT status FROM runs WHERE id = $1 FOR UPDATE), "
        "marked AS (UPDATE run_docs SET doc = jsonb_set(doc, '{cancel_requested_at}', "
        "coalesce(doc->'cancel_requested_at', to_jsonb(pf_iso(now())))) "
        "WHERE run_id = $1 AND (SELECT status FROM run) IN ('queued', 'running') RETURNING run_id) "
        "SELECT status, (SELECT count(*) FROM marked) FROM run",

    [Q_ITEM_CREATE] = "INSERT INTO items (kind, key, doc, created_at, updated_at) "
                      "VALUES ($1, $2, $3, pf_now(), pf_now()) ON CONFLICT DO NOTHING",
    /* A replace given a revision is a compare-and-swap: a concurrent
     * writer's update is waited for, then the revision no longer matches. */
    [Q_ITEM_REPLACE] = "UPDATE items SET doc = $3, updated_at = pf_now(), revision = revision + 1 "
                       "WHERE kind = $1 AND key = $2 AND ($4::bigint = 0 OR revision = $4::bigint)",
    [Q_ITEM_UPSERT] = "INSERT INTO items (kind, key, doc, created_at, updated_at) "
                      "VALUES ($1, $2, $3, pf_now(), pf_now()) ON CONFLICT (kind, key) DO UPDATE "
                      "SET doc = excluded.doc, updated_at = excluded.updated_at, revision = items.revision + 1",
    [Q_ITEM_DELETE] = "DELETE FROM items WHERE kind = $1 AND key = $2",
    [Q_ITEM_GET] = "SELECT " ITEM_COLUMNS " FROM items WHERE kind = $1 AND key = $2",
    [Q_ITEM_LIST] = "SELECT " ITEM_COLUMNS " FROM items WHERE kind = $1 ORDER BY key",
    /* A referrer's write holds its referee's row FOR SHARE until it
     * commits: a delete of the referee waits for it, and one that came
     * first makes this wait and then find no row. */
    [Q_ITEM_SHARE] = "SELECT 1 FROM items WHERE kind = $1 AND key = $2 FOR SHARE",
    [Q_WF_SHARE] = "SELECT 1 FROM workflows WHERE id = $1 AND deleted_at IS NULL FOR SHARE",
    /* Run by a delete after its DELETE (or soft delete), as a statement of
     * its own: under READ COMMITTED it sees every referrer committed
     * while the delete waited for the row. $3: the field's path, '{a,b}';
     * a string, or an array holding $2. */
    [Q_ITEM_REFERRER] = "SELECT key FROM items WHERE kind = $1 AND (doc #>> $3::text[] = $2 "
                        "OR (jsonb_typeof(doc #> $3::text[]) = 'array' AND (doc #> $3::text[]) ? $2)) "
                        "ORDER BY key LIMIT 1",

    /* SKIP LOCKED: servers claiming at the same moment pass over the rows
     * another one is taking, so each run goes to one of them; a lease that
     * ran out is taken over. $3: also the runs owner holds already; $5:
     * the runs owner is running, never taken from itself. The third
     * column: the holder before is another server whose listening session
     * (named PF_PG_PRESENCE and its name: pf_pg_listen) is still open, so
     * it lives. */
    [Q_RUN_CLAIM] = "WITH free AS (SELECT id, lease_owner AS holder FROM runs WHERE status IN ('queued', 'running') "
                    "AND (lease_until IS NULL OR lease_until < now() OR ($3::boolean AND lease_owner = $1)) "
                    "AND NOT (to_jsonb(id) <@ $5::jsonb) "
                    "ORDER BY created_at, id LIMIT $4::integer FOR UPDATE SKIP LOCKED), "
                    "claimed AS (UPDATE runs r SET lease_owner = $1, "
                    "lease_until = now() + make_interval(secs => $2::integer), lease_epoch = r.lease_epoch + 1 "
                    "FROM free WHERE r.id = free.id RETURNING r.id, r.created_at, r.lease_epoch, free.holder) "
                    "SELECT id, lease_epoch, holder IS NOT NULL AND holder <> $1 AND EXISTS (SELECT 1 FROM "
                    "pg_stat_activity WHERE application_name = '" PF_PG_PRESENCE "' || holder) FROM claimed "
                    "ORDER BY created_at, id",
    /* Only the runs the server is running ($3, [{id, epoch}]): a lease it
     * holds on a run it could not start lapses. Only at the epoch it holds
     * the run under: a lease that ran out is extended while nobody claimed
     * the run since, and never taken back from the server that did. */
    [Q_RUN_RENEW] = "UPDATE runs r SET lease_until = now() + make_interval(secs => $2::integer) "
                    "FROM jsonb_to_recordset($3::jsonb) AS held(id text, epoch bigint) "
                    "WHERE r.id = held.id AND r.lease_owner = $1 AND r.lease_epoch = held.epoch RETURNING r.id",
    /* A re-run's lease: a run nobody holds (or whose lease ran out, or
     * that owner holds) is taken, at a new epoch. */
    [Q_RUN_LEASE] = "UPDATE runs SET lease_owner = $1, lease_until = now() + make_interval(secs => $2::integer), "
                    "lease_epoch = lease_epoch + 1 WHERE id = $3 "
                    "AND (lease_owner = $1 OR lease_owner IS NULL OR lease_until < now()) RETURNING id, lease_epoch",
    [Q_RUN_FENCE] = "SELECT pf_run_fence($1, $2, $3)",
    [Q_RUN_FENCE_HELD] = "SELECT lease_owner = $2 AND lease_epoch = $3::bigint FROM runs WHERE id = $1",
    [Q_RUN_RELEASE] = "UPDATE runs SET lease_owner = NULL, lease_until = NULL "
                      "WHERE lease_owner = $1 AND status IN ('queued', 'running')",
    /* Side effects (migration 6): the claim is one statement, fence
     * included ($4 NULL: none); a claim done already comes back as it is. */
    [Q_EFFECT_CLAIM] = "SELECT owner, epoch, claims, pf_iso(claimed_at), pf_iso(done_at), result "
                       "FROM pf_effect_claim($1, $2, $3, $4, $5::bigint)",
    [Q_EFFECT_DONE] = "UPDATE effects SET done_at = pf_now(), result = $4::jsonb "
                      "WHERE run_id = $1 AND node_id = $2 AND effect_key = $3 AND done_at IS NULL",
    /* Delivered when the transaction commits, and not at all if it rolls back. */
    [Q_NOTIFY] = "SELECT pg_notify('" PF_PG_CHANNEL "', $1)",
};
