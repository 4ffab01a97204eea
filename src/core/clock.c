#include "core/clock.h"

#include <stdio.h>
#include <time.h>

void pf_iso_now(char out[PF_ISO_LEN]) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, PF_ISO_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, PF_ISO_LEN - n, ".%03ldZ", ts.tv_nsec / 1000000);
}
