#include "core/id.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void pf_id_new(const char *prefix, char out[PF_ID_MAX]) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    unsigned char rnd[10];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) memset(rnd, 0, sizeof rnd);
    char body[27];
    for (int i = 9; i >= 0; i--) {
        body[i] = crockford[ms & 31];
        ms >>= 5;
    }
    /* 80 random bits as 16 characters of 5 bits each. */
    for (int i = 0; i < 16; i++) {
        int bit = i * 5, byte = bit / 8, shift = bit % 8;
        unsigned v = (unsigned)rnd[byte] << 8 | (byte + 1 < 10 ? rnd[byte + 1] : 0);
        body[10 + i] = crockford[(v >> (11 - shift)) & 31];
    }
    body[26] = '\0';
    snprintf(out, PF_ID_MAX, "%.30s_%s", prefix, body);
}

bool pf_id_valid_slug(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 64) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '_' || c == '.' || c == '-'));
        if (!ok) return false;
    }
    return true;
}
