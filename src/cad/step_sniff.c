#include "cad/step_sniff.h"

#include <ctype.h>
#include <string.h>

static const char step_magic[] = "ISO-10303-21;";

bool pf_step_sniff(const void *head, size_t n) {
    const unsigned char *p = head;
    size_t i = 0;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) i = 3;
    while (i < n && isspace(p[i]))
        i++;
    return n - i >= sizeof step_magic - 1 && memcmp(p + i, step_magic, sizeof step_magic - 1) == 0;
}
