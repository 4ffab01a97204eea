/* SQLite schema migrations, oldest first. Never edit one that has shipped:
 * add a new one. */
#include "store/store_backend.h"

const char *const pf_sqlite_migrations[] = {
    /* 1: versioned workflow definitions */
    "CREATE TABLE workflows ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  family TEXT NOT NULL,"
    "  latest_version INTEGER NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  deleted_at TEXT);"
    "CREATE TABLE workflow_versions ("
    "  workflow_id TEXT NOT NULL REFERENCES workflows(id),"
    "  version INTEGER NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  PRIMARY KEY (workflow_id, version));"
    "CREATE INDEX workflows_family ON workflows(family);",
    /* 2: runs, their nodes, artifacts and the module output cache */
    "CREATE TABLE runs ("
    "  id TEXT PRIMARY KEY,"
    "  workflow_id TEXT,"
    "  workflow_version INTEGER,"
    "  family TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  subject TEXT,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL);"
    /* apart, so that status updates do not rewrite the whole workflow */
    "CREATE TABLE run_docs ("
    "  run_id TEXT PRIMARY KEY REFERENCES runs(id),"
    "  doc TEXT NOT NULL);"
    "CREATE INDEX runs_status ON runs(status);"
    "CREATE TABLE run_nodes ("
    "  run_id TEXT NOT NULL REFERENCES runs(id),"
    "  node_id TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  PRIMARY KEY (run_id, node_id));"
    "CREATE TABLE artifacts ("
    "  id TEXT PRIMARY KEY,"
    "  sha256 TEXT NOT NULL,"
    "  run_id TEXT,"
    "  node_id TEXT,"
    "  role TEXT,"
    "  media_type TEXT,"
    "  size INTEGER NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  created_at TEXT NOT NULL);"
    "CREATE INDEX artifacts_run ON artifacts(run_id);"
    "CREATE TABLE module_cache ("
    "  key TEXT PRIMARY KEY,"
    "  slot TEXT NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  created_at TEXT NOT NULL);"
    "CREATE INDEX module_cache_slot ON module_cache(slot, created_at);"
    /* published assets: one per (run, node), however often the node runs */
    "CREATE TABLE assets ("
    "  id TEXT PRIMARY KEY,"
    "  run_id TEXT NOT NULL,"
    "  node_id TEXT NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  UNIQUE (run_id, node_id));",
    /* 3: catalog and order documents (categories, pricing tiers, output
     * types, products, CAD files, orders and their lines) by kind and key */
    "CREATE TABLE items ("
    "  kind TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  revision INTEGER NOT NULL DEFAULT 1,"
    "  PRIMARY KEY (kind, key));",
    /* 4: run leases and one live run per order line. SQLite serves one
     * server, which never leases, but the columns keep a version meaning
     * the same tables in both backends. The index is what makes dispatch
     * exactly once: a second live (not failed, not cancelled) run of a
     * line, other than its shadow, cannot be created. */
    "ALTER TABLE runs ADD COLUMN lease_owner TEXT;"
    "ALTER TABLE runs ADD COLUMN lease_until TEXT;"
    "CREATE UNIQUE INDEX runs_order_line_live ON runs (json_extract(subject, '$.order_line'))"
    "  WHERE json_extract(subject, '$.order_line') IS NOT NULL"
    "  AND coalesce(json_extract(subject, '$.mode'), '') <> 'shadow'"
    "  AND status NOT IN ('failed', 'cancelled');",
    /* 5: the lease epoch, a fencing token raised by every claim of a run.
     * SQLite never leases, but a version means the same tables in both
     * backends, and a fenced write is checked alike. */
    "ALTER TABLE runs ADD COLUMN lease_epoch INTEGER NOT NULL DEFAULT 0;",
    /* 6: side effects (publish, notify), each claimed before it is
     * performed and marked done after, so that a run resumed after a crash
     * performs again only what was claimed and never recorded done, and
     * reuses the result of what was (pf_store_effect_claim). */
    "CREATE TABLE effects ("
    "  run_id TEXT NOT NULL REFERENCES runs(id),"
    "  node_id TEXT NOT NULL,"
    "  effect_key TEXT NOT NULL,"
    "  owner TEXT,"
    "  epoch INTEGER NOT NULL,"
    "  claims INTEGER NOT NULL,"
    "  claimed_at TEXT NOT NULL,"
    "  done_at TEXT,"
    "  result TEXT,"
    "  PRIMARY KEY (run_id, node_id, effect_key));",
};
const int pf_sqlite_n_migrations = sizeof pf_sqlite_migrations / sizeof *pf_sqlite_migrations;
