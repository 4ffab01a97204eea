/* Finding processes by a marker in their command line, to prove that
 * nothing a test started outlives it. */
#ifndef PF_TESTS_PROCS_H
#define PF_TESTS_PROCS_H

#include <stddef.h>
#include <sys/types.h>

/* Fills pids (up to max) with live processes whose argv contains marker;
 * returns how many there are. Zombies do not count. */
size_t pf_test_procs_with(const char *marker, pid_t *pids, size_t max);

#endif
