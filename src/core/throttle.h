/* Thinning a stream of progress reports for those who watch it (a run's
 * event streams, a task's result backend): a run of reports of one kind
 * ("sample 5 of 128", "sample 6 of 128") passes at most every interval,
 * while a report of another kind ("frame 2 of 36" after the samples, a
 * phase), a first one and a last one (fraction 1) always pass, so what
 * watchers see last before a long quiet stretch is what changed. */
#ifndef PF_CORE_THROTTLE_H
#define PF_CORE_THROTTLE_H

#include <stdbool.h>

typedef struct pf_throttle {
    long interval_ms;
    long last_ms;  /* when a report last passed; 0: none yet */
    char kind[32]; /* the text of the last one that passed, up to its first digit */
} pf_throttle;

/* Whether a report made at now_ms passes; records it when it does. */
bool pf_throttle_pass(pf_throttle *t, long now_ms, double fraction, const char *message);

#endif
