/* prodflow module-child: the process a module runs in when its contract
 * says "execution": "process" (runtime/isolate.h). Not for people: the
 * server starts it with one job on stdin. */
#include "cli/cli.h"
#include "runtime/isolate.h"

static void usage(FILE *out) {
    fputs("Usage: prodflow module-child < JOB\n\n"
          "Runs one module invocation for a server or worker and answers with @pf event lines.\n"
          "Started by prodflow itself (docs/runtime.md); not meant to be run by hand.\n",
          out);
}

static int run(int argc, char **argv) {
    (void)argv;
    if (argc != 1) {
        fputs("prodflow module-child: takes no arguments\n", stderr);
        return PF_EXIT_USAGE;
    }
    pf_registry *reg = pf_cli_registry();
    if (!reg) return PF_EXIT_FAILED;
    int rc = pf_isolate_serve(reg, stdin, stdout);
    pf_registry_free(reg);
    return rc;
}

const pf_command pf_cmd_module_child = {"module-child", NULL, run, usage};
