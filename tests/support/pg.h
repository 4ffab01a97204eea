/* A throwaway PostgreSQL cluster for tests and benches: initdb and pg_ctl
 * (as the postgres user when running as root, which initdb refuses) in a
 * fresh temporary directory, on a free loopback port. Every wait is on a
 * state (pg_ctl -w, a connection succeeding), never on a clock. */
#ifndef PF_TESTS_PG_H
#define PF_TESTS_PG_H

#include <stdbool.h>

typedef struct pf_test_pg pf_test_pg;

/* Whether PostgreSQL's server binaries (initdb, pg_ctl) are installed: the
 * tests that need a cluster skip (77) where they are not. */
bool pf_test_pg_installed(void);
/* Starts a cluster with the database "prodflow". NULL, having said why on
 * stderr, when PostgreSQL's server is not installed or does not start. */
pf_test_pg *pf_test_pg_start(void);
/* postgresql://postgres@127.0.0.1:PORT/prodflow, owned by pg. */
const char *pf_test_pg_url(const pf_test_pg *pg);
/* Creates another, empty database; its URL (the caller's), or NULL. */
char *pf_test_pg_new_database(pf_test_pg *pg, const char *name);
/* Stops the server with its data kept, and starts it again on the same
 * port: for tests of a database that goes away. */
bool pf_test_pg_halt(pf_test_pg *pg);
bool pf_test_pg_resume(pf_test_pg *pg);
/* Stops the cluster (pg_ctl -m immediate) and removes its directory. */
void pf_test_pg_stop(pf_test_pg *pg);

#endif
