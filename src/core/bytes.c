#include "core/bytes.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};

void pf_bytes_text(unsigned long long n, char out[24]) {
    int u = 0;
    unsigned long long whole = n;
    while (u < 4 && whole >= 1024) {
        whole >>= 10;
        u++;
    }
    if (u == 0 || n == whole << (10 * u))
        snprintf(out, 24, "%llu %s", whole, units[u]);
    else
        snprintf(out, 24, "%.1f %s", (double)n / (double)(1ULL << (10 * u)), units[u]);
}

bool pf_bytes_parse(const char *text, unsigned long long *out) {
    if (!text || !isdigit((unsigned char)*text)) return false;
    char *end = NULL;
    unsigned long long n = strtoull(text, &end, 10);
    int shift = 0;
    switch (tolower((unsigned char)*end)) {
    case 'k': shift = 10; break;
    case 'm': shift = 20; break;
    case 'g': shift = 30; break;
    case 't': shift = 40; break;
    case '\0': break;
    default: return false;
    }
    if (shift) {
        end++;
        if (!strcasecmp(end, "ib") || !strcasecmp(end, "b")) end += strlen(end);
    }
    if (*end || n == 0 || (shift && n > (~0ULL >> shift))) return false;
    *out = n << shift;
    return true;
}
