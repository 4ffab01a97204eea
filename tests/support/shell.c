#include "support/shell.h"

#include "core/mem.h"
#include "core/subprocess.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Whether line (up to end) holds phrase's words in order, spaces matching
 * any white space. */
static bool line_has_words(const char *line, const char *end, const char *phrase) {
    bool indented = *phrase == ' ';
    if (indented && !isspace((unsigned char)*line)) return false;
    for (const char *start = line; start < end; start++) {
        const char *l = start, *p = phrase;
        while (*p && l < end) {
            if (*p == ' ') {
                if (!isspace((unsigned char)*l) && p != phrase) break;
                while (*p == ' ')
                    p++;
                while (l < end && isspace((unsigned char)*l))
                    l++;
            } else if (*p == *l) {
                p++, l++;
            } else {
                break;
            }
        }
        if (!*p) return true;
    }
    return false;
}

bool pf_test_expect_words(const char *cmd, int code, const char *phrase) {
    char *out;
    int rc = pf_test_sh(cmd, &out);
    bool found = false;
    for (const char *line = out; *line && !found;) {
        const char *end = strchr(line, '\n');
        if (!end) end = line + strlen(line);
        found = line_has_words(line, end, phrase);
        line = *end ? end + 1 : end;
    }
    if (rc != code)
        fprintf(stderr, "`%s` exited %d, not %d:\n%s\n", cmd, rc, code, out);
    else if (!found)
        fprintf(stderr, "`%s` printed no line with the words \"%s\":\n%s\n", cmd, phrase, out);
    free(out);
    return rc == code && found;
}

bool pf_test_run_argv(const char *const *argv) {
    pf_subprocess_opts o = {.argv = argv};
    pf_subprocess_result r;
    pf_error *err = pf_subprocess_run(&o, &r);
    bool ok = !err && r.exit_code == 0;
    pf_error_free(err);
    return ok;
}
