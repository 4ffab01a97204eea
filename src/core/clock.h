/* Wall-clock time stamps, as the logs, the store and run records show them. */
#ifndef PF_CORE_CLOCK_H
#define PF_CORE_CLOCK_H

#define PF_ISO_LEN 32

/* "2026-11-25T19:35:27.705Z": UTC, milliseconds. */
void pf_iso_now(char out[PF_ISO_LEN]);
/* The same for a time since the epoch (years 0000 to 9999). */
void pf_iso_format(long long sec, long nsec, char out[PF_ISO_LEN]);

#endif
