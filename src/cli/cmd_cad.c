/* prodflow cad inspect: what a STEP file holds, without a CAD kernel. */
#include "cad/step_scanner.h"
#include "cli/cli.h"

#include <getopt.h>
#include <string.h>

static void usage(FILE *out) {
    fputs("Usage: prodflow cad inspect [--json] [--full] FILE.step\n\n"
          "Prints the assembly tree of a STEP file with names, instances and colours,\n"
          "read by the streaming scanner (no CAD kernel).\n\n"
          "Options:\n"
          "  --json        print the whole summary as JSON\n"
          "  --full        add per-part boxes and triangle counts (needs the OCCT adapter)\n"
          "  -h, --help    this help\n",
          out);
}

static void print_tree(const json_t *doc) {
    const json_t *unit = json_object_get(doc, "length_unit");
    printf("schema: %s\nlength unit: %s\nentities: %lld\n", json_string_value(json_object_get(doc, "schema")),
           json_is_object(unit) ? json_string_value(json_object_get(unit, "name")) : "unknown",
           (long long)json_integer_value(json_object_get(doc, "entity_count")));
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(doc, "tree"), i, n) {
        const char *path = json_string_value(json_object_get(n, "path"));
        int depth = 0;
        for (const char *p = path; *p; p++)
            depth += *p == '/';
        const json_t *c = json_object_get(n, "colour");
        printf("%*s%s%s", (depth - 1) * 2, "", json_string_value(json_object_get(n, "name")),
               json_is_true(json_object_get(n, "is_assembly")) ? "/" : "");
        if (json_is_array(c))
            printf("  rgb(%.3f, %.3f, %.3f)", json_real_value(json_array_get(c, 0)),
                   json_real_value(json_array_get(c, 1)), json_real_value(json_array_get(c, 2)));
        putchar('\n');
    }
    const json_t *sum = json_object_get(doc, "summary");
    printf("products: %lld, instances: %lld, assemblies: %lld\n",
           (long long)json_integer_value(json_object_get(sum, "products")),
           (long long)json_integer_value(json_object_get(sum, "instances")),
           (long long)json_integer_value(json_object_get(sum, "assemblies")));
}

static int inspect(int argc, char **argv) {
    static const struct option opts[] = {{"json", no_argument, 0, 'j'}, {"full", no_argument, 0, 'f'}, {0, 0, 0, 0}};
    int as_json = 0, full = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'j')
            as_json = 1;
        else if (c == 'f')
            full = 1;
        else {
            usage(stderr);
            return PF_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return PF_EXIT_USAGE;
    }
    if (full) {
        fprintf(stderr, "prodflow cad inspect: --full needs the OCCT adapter, which lands later in issue #3\n");
        return PF_EXIT_FAILED;
    }
    pf_step_summary *s = NULL;
    pf_error *err = pf_step_scan_file(argv[optind], &s);
    if (err) {
        fprintf(stderr, "prodflow cad inspect: %s\n", err->message);
        pf_error_free(err);
        return PF_EXIT_FAILED;
    }
    json_t *doc = pf_step_summary_json(s);
    pf_step_summary_free(s);
    if (as_json) {
        json_dumpf(doc, stdout, JSON_INDENT(2));
        putchar('\n');
    } else {
        print_tree(doc);
    }
    json_decref(doc);
    return PF_EXIT_OK;
}

static int run(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "inspect") == 0) return inspect(argc - 1, argv + 1);
    usage(stderr);
    return PF_EXIT_USAGE;
}

const pf_command pf_cmd_cad = {"cad", "inspect STEP files", run, usage};
