/* prodflow: one binary for the server, the workers and the tools. */
#include "cli/cli.h"
#include "core/log.h"

#include <signal.h>
#include <string.h>

static const pf_command *const commands[] = {
    &pf_cmd_serve,         &pf_cmd_validate, &pf_cmd_node_definitions, &pf_cmd_cad,
    &pf_cmd_render,        &pf_cmd_run,      &pf_cmd_module,           &pf_cmd_token,
    &pf_cmd_migrate,       &pf_cmd_store,    &pf_cmd_worker,           &pf_cmd_module_child,
    &pf_cmd_module_zygote,
};
#define N_COMMANDS (sizeof commands / sizeof *commands)

static void usage(FILE *out) {
    fputs("Usage: prodflow <command> [options]\n\n"
          "Prodflow turns STEP CAD files into product visuals through workflow graphs\n"
          "of production modules.\n\nCommands:\n",
          out);
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (commands[i]->summary) fprintf(out, "  %-18s %s\n", commands[i]->name, commands[i]->summary);
    fputs("\nRun 'prodflow <command> --help' for a command's options.\n", out);
}

int main(int argc, char **argv) {
    pf_log_init(stderr, PF_LOG_INFO);
    /* A child that ends early must not take the parent down with it: a
     * write to its closed pipe is an error, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return PF_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        if (argc > 2 && strcmp(argv[1], "help") == 0) {
            for (size_t i = 0; i < N_COMMANDS; i++)
                if (!strcmp(argv[2], commands[i]->name)) {
                    commands[i]->usage(stdout);
                    return PF_EXIT_OK;
                }
        }
        usage(stdout);
        return PF_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("prodflow %s\n", PF_VERSION);
        return PF_EXIT_OK;
    }
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(argv[1], commands[i]->name) != 0) continue;
        if (pf_cli_wants_help(argc - 1, argv + 1)) {
            commands[i]->usage(stdout);
            return PF_EXIT_OK;
        }
        int rc = commands[i]->run(argc - 1, argv + 1);
        if (rc == PF_EXIT_USAGE) { /* the command said what is wrong; its usage says what is right */
            fputc('\n', stderr);
            commands[i]->usage(stderr);
        }
        return rc;
    }
    fprintf(stderr, "prodflow: unknown command \"%s\"\n\n", argv[1]);
    usage(stderr);
    return PF_EXIT_USAGE;
}
