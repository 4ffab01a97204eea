#include "support/shell.h"

#include "core/mem.h"

#include <stdio.h>
#include <string.h>

#include <stdlib.h>
#include <sys/wait.h>

int pf_test_sh(const char *cmd, char **output) {
    char *full = pf_asprintf("%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    free(full);
    size_t len = 0, cap = 1 << 16;
    char *buf = pf_xmalloc(cap);
    size_t n;
    while (p && (n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (cap - len < 1024) buf = pf_xrealloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    int status = p ? pclose(p) : -1;
    *output = buf;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool pf_test_expect(const char *cmd, int code, const char *phrase) {
    char *out;
    int rc = pf_test_sh(cmd, &out);
    bool ok = rc == code && strstr(out, phrase) != NULL;
    if (rc != code)
        fprintf(stderr, "`%s` exited %d, not %d:\n%s\n", cmd, rc, code, out);
    else if (!ok)
        fprintf(stderr, "`%s` did not print \"%s\":\n%s\n", cmd, phrase, out);
    free(out);
    return ok;
}
