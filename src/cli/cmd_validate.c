/* prodflow validate FILE: every problem of a workflow definition at once. */
#include "cli/cli.h"
#include "core/mem.h"
#include "core/path.h"
#include "workflow/workflow.h"

#include <getopt.h>
#include <string.h>

static void usage(FILE *out) {
    fputs("Usage: prodflow validate [--json] [--canonical] FILE\n\n"
          "Checks a workflow definition and prints every problem with its JSON pointer.\n"
          "Exits 0 when the workflow is valid, 1 when it is not, 2 on a usage error.\n\n"
          "Options:\n"
          "  --json        print {\"valid\", \"errors\"} as JSON\n"
          "  --canonical   print the canonical form of a valid workflow\n"
          "  -h, --help    this help\n",
          out);
}

static int run(int argc, char **argv) {
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'}, {"canonical", no_argument, 0, 'c'}, {0, 0, 0, 0}};
    int flags[2] = {0};
    const char *file = pf_cli_flags_and_file(argc, argv, opts, flags, "validate");
    if (!file) return PF_EXIT_USAGE;
    int as_json = flags[0], canonical = flags[1];
    char *text = NULL;
    size_t len = 0;
    pf_error *err = pf_read_file(file, 256u << 20, &text, &len);
    if (err) {
        fprintf(stderr, "prodflow validate: %s\n", err->message);
        pf_error_free(err);
        return PF_EXIT_FAILED;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    pf_errors errs;
    pf_errors_init(&errs);
    pf_registry *reg = NULL;
    if (!doc) {
        pf_errors_add(&errs, PF_EINVAL, "", "malformed JSON at line %d, column %d: %s", jerr.line, jerr.column,
                      jerr.text);
    } else {
        reg = pf_cli_registry();
        if (!reg) {
            json_decref(doc);
            return PF_EXIT_FAILED;
        }
        pf_workflow_validate(reg, doc, &errs);
    }
    if (as_json) {
        json_t *out =
            json_pack("{s:s, s:b, s:o}", "file", file, "valid", errs.len == 0, "errors", pf_errors_to_json(&errs));
        json_dumpf(out, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(out);
    } else if (errs.len) {
        pf_cli_print_errors(stdout, file, &errs);
        printf("%s: %zu problem%s\n", file, errs.len, errs.len == 1 ? "" : "s");
    } else if (canonical) {
        json_t *canon = pf_workflow_canonicalize(reg, doc);
        char *bytes = pf_workflow_canonical_text(canon);
        puts(bytes);
        free(bytes);
        json_decref(canon);
    } else {
        printf("%s: valid %s workflow \"%s\" (%zu nodes, %zu edges)\n", file,
               json_string_value(json_object_get(doc, "family")), json_string_value(json_object_get(doc, "id")),
               json_array_size(json_object_get(doc, "nodes")), json_array_size(json_object_get(doc, "edges")));
    }
    int rc = errs.len ? PF_EXIT_FAILED : PF_EXIT_OK;
    pf_errors_clear(&errs);
    json_decref(doc);
    pf_registry_free(reg);
    return rc;
}

const pf_command pf_cmd_validate = {"validate", "check a workflow definition file", run, usage};
