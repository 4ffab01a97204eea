#include "support/tmpdir.h"

#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

char *pf_test_tmpdir(const char *name) {
    mkdir(PF_TEST_TMP, 0755);
    char *tmpl = pf_asprintf("%s/%s-XXXXXX", PF_TEST_TMP, name);
    if (!mkdtemp(tmpl)) {
        perror("mkdtemp");
        abort();
    }
    return tmpl;
}
