/* prodflow node-definitions: what /api/workflows/node-definitions serves. */
#include "cli/cli.h"
#include "workflow/node_registry.h"

#include <getopt.h>

static void usage(FILE *out) {
    fputs("Usage: prodflow node-definitions [--family F] [--compact]\n\n"
          "Prints the module-backed node definitions as JSON.\n\n"
          "Options:\n"
          "  --family F    only the nodes family F allows (cad_file, order_line)\n"
          "  --compact     one line of JSON\n"
          "  -h, --help    this help\n",
          out);
}

static int run(int argc, char **argv) {
    static const struct option opts[] = {
        {"family", required_argument, 0, 'f'}, {"compact", no_argument, 0, 'c'}, {0, 0, 0, 0}};
    const char *family = NULL;
    int compact = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'f')
            family = optarg;
        else if (c == 'c')
            compact = 1;
        else
            return PF_EXIT_USAGE; /* getopt said what */
    }
    if (optind != argc) {
        fputs("prodflow node-definitions: unexpected arguments\n", stderr);
        return PF_EXIT_USAGE;
    }
    pf_registry *reg = pf_cli_registry();
    if (!reg) return PF_EXIT_FAILED;
    json_t *doc = pf_node_definitions(reg, family);
    int rc = PF_EXIT_OK;
    if (!doc) {
        fprintf(stderr, "prodflow node-definitions: unknown family \"%s\"\n", family);
        rc = PF_EXIT_USAGE;
    } else {
        json_dumpf(doc, stdout, compact ? JSON_COMPACT : JSON_INDENT(2));
        putchar('\n');
    }
    json_decref(doc);
    pf_registry_free(reg);
    return rc;
}

const pf_command pf_cmd_node_definitions = {"node-definitions", "print the node definitions", run, usage};
