/* Allocation that aborts on out-of-memory, so callers need no NULL checks,
 * and small string helpers. Every result is malloc'd and owned by the caller. */
#ifndef PF_CORE_MEM_H
#define PF_CORE_MEM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

void *pf_xmalloc(size_t n);
void *pf_xcalloc(size_t n, size_t size);
void *pf_xrealloc(void *p, size_t n);
char *pf_strdup(const char *s);
char *pf_strndup(const char *s, size_t n);
char *pf_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *pf_vasprintf(const char *fmt, va_list ap);
/* The n strings joined, without printf's per-call cost (hot paths). */
char *pf_concat(const char *const *parts, size_t n);
/* s (taken) as well-formed UTF-8, as jansson requires of JSON strings: s
 * itself when it is, else a copy with each stray byte replaced by U+FFFD.
 * For text from outside (a decoded URL, a header) on its way into JSON. */
char *pf_utf8_repair(char *s);
/* Whether s is well-formed UTF-8 (what pf_utf8_repair would keep as is). */
bool pf_utf8_valid(const char *s);

/* Sets the heap up for a long-running process that runs workflows (serve,
 * worker, run): it grows in steps of 16 MB and keeps up to 64 MB freed at
 * its top, instead of glibc's 128 KB both ways. A run allocates and frees
 * small JSON values by the million; with the defaults, the heap shrinks
 * and grows again all the time, and each page it takes back is a page
 * fault, which in a threaded process holds the address space's lock
 * (two thirds of the faults and half the context switches of a
 * 10,000-node run, and 15% of its CPU time: bench_runtime). And no
 * "fast bins": glibc keeps small freed chunks there unmerged, and every
 * request of 1 KB or more (a JSON text's buffer, a jansson hash table)
 * first merges all of them (malloc_consolidate, 6% of bench_runtime's
 * samples); without them a small free that the thread cache cannot take
 * merges at once (9% less CPU time, lower in each of four pairs). Called
 * once, first thing, before any thread starts. These are glibc's
 * settings, for builds where glibc allocates (PF_JEMALLOC off, the
 * sanitised ones use their own); with jemalloc they change nothing, and
 * its settings are in src/core/heap_jemalloc.c. */
void pf_heap_for_runs(void);

#endif
