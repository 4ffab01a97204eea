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
};
const int pf_sqlite_n_migrations = sizeof pf_sqlite_migrations / sizeof *pf_sqlite_migrations;
