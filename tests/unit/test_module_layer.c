/* The module layer is the only way a module runs: no source file but
 * src/modules/invoke.c calls a descriptor's execute function. The graph
 * runtime, the CLI and the render chain all go through pf_module_invoke. */
#include "check.h"

#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    char *cmd = pf_asprintf("grep -rn --include='*.c' -e '->execute(' -e '\\.execute(' '%s/src'", PF_SOURCE_DIR);
    FILE *p = popen(cmd, "r");
    char line[1024];
    int callers = 0, outside = 0;
    while (p && fgets(line, sizeof line, p)) {
        callers++;
        if (!strstr(line, "src/modules/invoke.c:")) {
            outside++;
            fprintf(stderr, "a module runs outside the module layer: %s", line);
        }
    }
    if (p) pclose(p);
    CHECK(callers >= 1); /* the module layer itself */
    CHECK_INT(outside, 0);
    /* and the runtime reaches modules through it */
    free(cmd);
    cmd = pf_asprintf("cat '%s'/src/runtime/*.c | grep -c 'pf_module_invoke('", PF_SOURCE_DIR);
    p = popen(cmd, "r");
    int uses = p && fgets(line, sizeof line, p) ? atoi(line) : 0;
    if (p) pclose(p);
    CHECK(uses >= 1);
    free(cmd);
    return pf_check_done("module_layer");
}
