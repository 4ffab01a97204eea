/* PostgreSQL schema migrations, oldest first; schema version = index + 1.
 * They follow SQLite's versions, so a version means the same tables
 * in both backends. Never edit one that has shipped: add a new one.
 *
 * Time stamps are timestamptz taken from the database's clock (one clock
 * for every server), truncated to milliseconds so that the ISO text the
 * API shows (pf_iso) says all there is and a copy keeps them exactly. Keys
 * are COLLATE "C": lists come back in byte order, as from SQLite. */
#include "store/store_backend.h"

const char *const pf_pg_migrations[] = {
    /* 1: versioned workflow definitions */
    "CREATE FUNCTION pf_now() RETURNS timestamptz LANGUAGE sql STABLE"
    "  AS $$ SELECT date_trunc('milliseconds', now()) $$;"
    "CREATE FUNCTION pf_iso(t timestamptz) RETURNS text LANGUAGE sql STABLE"
    "  AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') $$;"
    "CREATE TABLE workflows ("
    "  id text COLLATE \"C\" PRIMARY KEY,"
    "  name text NOT NULL,"
    "  family text NOT NULL,"
    "  latest_version integer NOT NULL,"
    "  created_at timestamptz NOT NULL,"
    "  updated_at timestamptz NOT NULL,"
    "  deleted_at timestamptz);"
    "CREATE TABLE workflow_versions ("
    "  workflow_id text COLLATE \"C\" NOT NULL REFERENCES workflows(id),"
    "  version integer NOT NULL,"
    "  doc jsonb NOT NULL,"
    "  sha256 text NOT NULL,"
    "  created_at timestamptz NOT NULL,"
    "  PRIMARY KEY (workflow_id, version));"
    "CREATE INDEX workflows_family ON workflows (family, id);",
    /* 2: runs, their nodes, artifacts, the module output cache and
     * published assets */
    "CREATE TABLE runs ("
    "  id text COLLATE \"C\" PRIMARY KEY,"
    "  workflow_id text,"
    "  workflow_version integer,"
    "  family text NOT NULL,"
    "  status text NOT NULL,"
    "  subject jsonb,"
    "  created_at timestamptz NOT NULL,"
    "  updated_at timestamptz NOT NULL);"
    /* lists are newest first, all or by status (resuming reads "running") */
    "CREATE INDEX runs_created ON runs (created_at DESC, id DESC);"
    "CREATE INDEX runs_status ON runs (status, created_at DESC, id DESC);"
    /* runs of a CAD file or an order line: any value of the subject */
    "CREATE INDEX runs_subject ON runs USING gin (subject);"
    /* apart, so that status updates do not rewrite the whole workflow */
    "CREATE TABLE run_docs ("
    "  run_id text COLLATE \"C\" PRIMARY KEY REFERENCES runs(id),"
    "  doc jsonb NOT NULL);"
    "CREATE TABLE run_nodes ("
    "  run_id text COLLATE \"C\" NOT NULL REFERENCES runs(id),"
    "  node_id text COLLATE \"C\" NOT NULL,"
    "  status text NOT NULL,"
    "  state jsonb NOT NULL,"
    "  PRIMARY KEY (run_id, node_id));"
    "CREATE TABLE artifacts ("
    "  id text COLLATE \"C\" PRIMARY KEY,"
    "  sha256 text NOT NULL,"
    "  run_id text COLLATE \"C\","
    "  node_id text,"
    "  role text,"
    "  media_type text,"
    "  size bigint NOT NULL,"
    "  doc jsonb NOT NULL,"
    "  created_at timestamptz NOT NULL);"
    "CREATE INDEX artifacts_run ON artifacts (run_id);"
    /* seq breaks ties between entries of one millisecond as SQLite's rowid
     * does: an update keeps it */
    "CREATE TABLE module_cache ("
    "  key text COLLATE \"C\" PRIMARY KEY,"
    "  seq bigint GENERATED ALWAYS AS IDENTITY,"
    "  slot text NOT NULL,"
    "  doc jsonb NOT NULL,"
    "  created_at timestamptz NOT NULL);"
    "CREATE INDEX module_cache_slot ON module_cache (slot, created_at, seq);"
    /* published assets: one per (run, node), however often the node runs */
    "CREATE TABLE assets ("
    "  id text COLLATE \"C\" PRIMARY KEY,"
    "  run_id text COLLATE \"C\" NOT NULL,"
    "  node_id text COLLATE \"C\" NOT NULL,"
    "  doc jsonb NOT NULL,"
    "  created_at timestamptz NOT NULL,"
    "  UNIQUE (run_id, node_id));"
    "CREATE INDEX assets_created ON assets (created_at DESC, id);"
    /* A status change of an unknown run fails inside the statement, so a
     * group of transitions can go in one pipeline and still roll back. */
    "CREATE FUNCTION pf_run_status(p_id text, p_status text) RETURNS void LANGUAGE plpgsql AS $$"
    " BEGIN"
    "  UPDATE runs SET status = p_status, updated_at = pf_now() WHERE id = p_id;"
    "  IF NOT FOUND THEN"
    "   RAISE EXCEPTION 'run \"%\" does not exist', p_id USING ERRCODE = 'no_data_found';"
    "  END IF;"
    " END $$;",
    /* 3: catalog and order documents (categories, pricing tiers, output
     * types, products, CAD files, orders and their lines) by kind and key */
    "CREATE TABLE items ("
    "  kind text COLLATE \"C\" NOT NULL,"
    "  key text COLLATE \"C\" NOT NULL,"
    "  doc jsonb NOT NULL,"
    "  created_at timestamptz NOT NULL,"
    "  updated_at timestamptz NOT NULL,"
    "  revision bigint NOT NULL DEFAULT 1,"
    "  PRIMARY KEY (kind, key));",
    /* 4: run leases, for several servers on one database. A server owns
     * the runs it schedules until lease_until; a run whose lease ran out
     * (its server died) is claimed by another. The unique index makes
     * dispatch exactly once: a second live (not failed, not cancelled)
     * run of an order line, other than its shadow, cannot be created,
     * whichever server tries. */
    "ALTER TABLE runs ADD COLUMN lease_owner text, ADD COLUMN lease_until timestamptz;"
    "CREATE INDEX runs_claimable ON runs (created_at, id) WHERE status IN ('queued', 'running');"
    "CREATE UNIQUE INDEX runs_order_line_live ON runs ((subject->>'order_line'))"
    "  WHERE subject->>'order_line' IS NOT NULL AND coalesce(subject->>'mode', '') <> 'shadow'"
    "  AND status NOT IN ('failed', 'cancelled');",
    /* 5: fencing. Every claim of a run raises lease_epoch; a server writes
     * for a leased run only while (lease_owner, lease_epoch) is still the
     * pair it claimed with, so a server paused past its lease cannot
     * overwrite the work of the one that took the run over. pf_run_fence
     * checks the pair and locks the run's row until the writing
     * transaction ends (a claim meanwhile skips it), so what is checked
     * stays true until the commit. Its SQLSTATE PF409 is the backend's
     * PF_ECONFLICT (store_pg.c). */
    "ALTER TABLE runs ADD COLUMN lease_epoch bigint NOT NULL DEFAULT 0;"
    "CREATE FUNCTION pf_run_fence(p_id text, p_owner text, p_epoch bigint) RETURNS void LANGUAGE plpgsql AS $$"
    " BEGIN"
    "  PERFORM 1 FROM runs WHERE id = p_id AND lease_owner = p_owner AND lease_epoch = p_epoch FOR NO KEY UPDATE;"
    "  IF NOT FOUND THEN"
    "   RAISE EXCEPTION 'run % is no longer leased to % at epoch %', p_id, p_owner, p_epoch USING ERRCODE = 'PF409';"
    "  END IF;"
    " END $$;",
    /* 6: side effects (publish, notify), each claimed before it is
     * performed and marked done after. pf_effect_claim is one statement,
     * run on its own (autocommitted): the claim and the fence check commit
     * together or not at all, so of two servers only the lease holder
     * claims, and a refused claim leaves nothing behind, not even a lock
     * for the other server to wait on. It claims first and checks the
     * fence after, so that what it waits for (a claim of the same effect)
     * comes before it holds the run's row. A claim already done is not
     * taken: its row comes back with done_at and the result recorded. */
    "CREATE TABLE effects ("
    "  run_id text COLLATE \"C\" NOT NULL REFERENCES runs(id),"
    "  node_id text COLLATE \"C\" NOT NULL,"
    "  effect_key text COLLATE \"C\" NOT NULL,"
    "  owner text,"
    "  epoch bigint NOT NULL,"
    "  claims integer NOT NULL,"
    "  claimed_at timestamptz NOT NULL,"
    "  done_at timestamptz,"
    "  result jsonb,"
    "  PRIMARY KEY (run_id, node_id, effect_key));"
    "CREATE FUNCTION pf_effect_claim(p_run text, p_node text, p_key text, p_owner text, p_epoch bigint)"
    "  RETURNS SETOF effects LANGUAGE plpgsql AS $$"
    " BEGIN"
    "  IF NOT EXISTS (SELECT 1 FROM runs WHERE id = p_run) THEN"
    "   RAISE EXCEPTION 'run \"%\" does not exist', p_run USING ERRCODE = 'no_data_found';"
    "  END IF;"
    "  INSERT INTO effects AS e (run_id, node_id, effect_key, owner, epoch, claims, claimed_at)"
    "   VALUES (p_run, p_node, p_key, p_owner, p_epoch, 1, pf_now())"
    "   ON CONFLICT (run_id, node_id, effect_key) DO UPDATE SET owner = excluded.owner, epoch = excluded.epoch,"
    "   claims = e.claims + 1, claimed_at = excluded.claimed_at WHERE e.done_at IS NULL;"
    "  IF p_owner IS NOT NULL THEN"
    "   PERFORM pf_run_fence(p_run, p_owner, p_epoch);"
    "  END IF;"
    "  RETURN QUERY SELECT * FROM effects e WHERE e.run_id = p_run AND e.node_id = p_node AND e.effect_key = p_key;"
    " END $$;",
};
const int pf_pg_n_migrations = sizeof pf_pg_migrations / sizeof *pf_pg_migrations;
