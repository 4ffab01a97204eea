/* Wall-clock time stamps, as the logs, the store and run records show them,
 * and deadlines for timed waits. */
#ifndef PF_CORE_CLOCK_H
#define PF_CORE_CLOCK_H

#include <stdbool.h>
#include <time.h>

#define PF_ISO_LEN 32

/* "2026-11-25T19:35:27.705Z": UTC, milliseconds. */
void pf_iso_now(char out[PF_ISO_LEN]);
/* The same for a time since the epoch (years 0000 to 9999). */
void pf_iso_format(long long sec, long nsec, char out[PF_ISO_LEN]);
/* The time ms milliseconds from now on clock, as pthread_cond_timedwait
 * takes its deadline (CLOCK_REALTIME unless the condition says otherwise). */
/* Seconds since the epoch of a stamp such as pf_iso_now writes (its
 * fraction and zone letter ignored: UTC); false when it is not one. */
bool pf_iso_parse(const char *iso, long long *sec_out);
struct timespec pf_clock_after_ms(clockid_t clock, long ms);

#endif
