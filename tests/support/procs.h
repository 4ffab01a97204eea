/* Finding processes by a marker in their command line, to prove that
 * nothing a test started outlives it, and counting a process's threads. */
#ifndef PF_TESTS_PROCS_H
#define PF_TESTS_PROCS_H

#include <stddef.h>
#include <sys/types.h>

/* Fills pids (up to max) with live processes whose argv contains marker;
 * returns how many there are. Zombies do not count. */
size_t pf_test_procs_with(const char *marker, pid_t *pids, size_t max);
/* The threads of process pid now (/proc), -1 when it is gone. */
long pf_test_threads_of(pid_t pid);

#endif
