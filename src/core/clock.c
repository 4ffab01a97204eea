#include "core/clock.h"

#include <time.h>

static void put_digits(char *at, long value, int width) {
    for (int i = width - 1; i >= 0; i--, value /= 10)
        at[i] = (char)('0' + value % 10);
}

/* The civil date from days since 1970-01-01 (proleptic Gregorian, in
 * 400-year eras). glibc's gmtime_r takes the time-zone lock on every call,
 * which serialised the runtime's workers. */
void pf_iso_format(long long sec, long nsec, char out[PF_ISO_LEN]) {
    long days = (long)(sec / 86400), secs = (long)(sec % 86400);
    if (secs < 0) secs += 86400, days--;
    long z = days + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;                                      /* day of era, 0..146096 */
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* year of era, 0..399 */
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* day of year from March 1 */
    long mp = (5 * doy + 2) / 153;                                    /* month from March, 0..11 */
    long day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
    long year = yoe + era * 400 + (month <= 2);
    /* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
    put_digits(out, year, 4);
    out[4] = '-';
    put_digits(out + 5, month, 2);
    out[7] = '-';
    put_digits(out + 8, day, 2);
    out[10] = 'T';
    put_digits(out + 11, secs / 3600, 2);
    out[13] = ':';
    put_digits(out + 14, secs / 60 % 60, 2);
    out[16] = ':';
    put_digits(out + 17, secs % 60, 2);
    out[19] = '.';
    put_digits(out + 20, nsec / 1000000, 3);
    out[23] = 'Z';
    out[24] = '\0';
}

void pf_iso_now(char out[PF_ISO_LEN]) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    pf_iso_format(ts.tv_sec, ts.tv_nsec, out);
}

struct timespec pf_clock_after_ms(clockid_t clock, long ms) {
    struct timespec at;
    clock_gettime(clock, &at);
    at.tv_sec += ms / 1000;
    at.tv_nsec += (ms % 1000) * 1000000L;
    if (at.tv_nsec >= 1000000000L) at.tv_sec++, at.tv_nsec -= 1000000000L;
    return at;
}

bool pf_iso_parse(const char *iso, long long *sec_out) {
    struct tm tm = {0};
    if (!iso || !strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm)) return false;
    *sec_out = (long long)timegm(&tm);
    return true;
}
