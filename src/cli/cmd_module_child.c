/* prodflow module-child: the process a module runs in when its contract
 * says "execution": "process" (runtime/isolate.h), and prodflow
 * module-zygote, which forks such processes ready-made (runtime/zygote.h).
 * Not for people: the server starts them. */
#include "cli/cli.h"
#include "runtime/isolate.h"
#include "runtime/zygote.h"

#include <unistd.h>

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

static void zygote_usage(FILE *out) {
    fputs("Usage: prodflow module-zygote\n\n"
          "Forks module children for a server or worker, which talks to it over the socket on its stdin.\n"
          "Started by prodflow itself (docs/runtime.md); not meant to be run by hand.\n",
          out);
}

static int zygote_run(int argc, char **argv) {
    (void)argv;
    if (argc != 1) {
        fputs("prodflow module-zygote: takes no arguments\n", stderr);
        return PF_EXIT_USAGE;
    }
    pf_registry *reg = pf_cli_registry();
    if (!reg) return PF_EXIT_FAILED;
    int rc = pf_zygote_serve(reg, STDIN_FILENO);
    pf_registry_free(reg);
    return rc;
}

const pf_command pf_cmd_module_zygote = {"module-zygote", NULL, zygote_run, zygote_usage};
