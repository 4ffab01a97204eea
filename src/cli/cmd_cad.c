/* prodflow cad inspect: what a STEP file holds, without a CAD kernel. */
#include "cad/fixture.h"
#include "cad/step_scanner.h"
#include "cli/cli.h"
#include "core/mem.h"
#include "core/path.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out) {
    fputs("Usage: prodflow cad inspect [--json] [--full] FILE.step\n"
          "       prodflow cad export FILE.step -o OUT.glb [--deflection MM] [--angular RAD] [--no-healing]\n"
          "                          [--memory-limit SIZE]\n"
          "       prodflow cad fixture -o OUT.step [--bolts N] [--parts N]\n\n"
          "inspect prints the assembly tree of a STEP file with names, instances and\n"
          "colours, read by the STEP scanner (no CAD kernel).\n"
          "export tessellates with OCCT and writes a GLB in metres and Y-up, through the\n"
          "cad.export_glb module, in a child process under the module's limits, as in a run.\n"
          "fixture writes the project's own test assembly: a coloured gearbox with a\n"
          "sub-assembly, N instances of one bolt and curved parts, plus N extra parts.\n\n"
          "Options:\n"
          "  --json             print the whole summary as JSON (inspect)\n"
          "  --full             read with OCCT: per-part boxes and triangle counts (inspect)\n"
          "  -o, --output FILE  the GLB to write (export)\n"
          "  --deflection MM    linear deflection in millimetres (export; default 0.1)\n"
          "  --angular RAD      angular deflection in radians (export; default 0.5)\n"
          "  --no-healing       heal no part; fail when a face does not tessellate (export)\n"
          "  --memory-limit SIZE  resident memory the export may use (export; default: the module's, 6G)\n"
          "  --bolts N          bolt instances (fixture; default 8)\n"
          "  --parts N          extra distinct parts (fixture; default 0)\n"
          "  -h, --help         this help\n",
          out);
}

static int export_glb(int argc, char **argv) {
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'},       {"deflection", required_argument, 0, 'd'},
        {"no-healing", no_argument, 0, 'n'},         {"angular", required_argument, 0, 'a'},
        {"memory-limit", required_argument, 0, 'L'}, {0, 0, 0, 0}};
    const char *output = NULL;
    json_t *params = json_object();
    pf_limit_override limits[1];
    size_t n_limits = 0;
    int c, rc = PF_EXIT_USAGE;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        if (c == 'o')
            output = optarg;
        else if (c == 'd')
            json_object_set_new(params, "linear_deflection", pf_cli_value(optarg));
        else if (c == 'a')
            json_object_set_new(params, "angular_deflection", pf_cli_value(optarg));
        else if (c == 'n')
            json_object_set_new(params, "shape_healing", json_false());
        else if (c != 'L' || !pf_cli_limit(c, optarg, limits, 1, &n_limits))
            goto done;
    }
    if (optind != argc - 1 || !output) {
        fputs(!output ? "prodflow cad export: give -o OUT.glb\n" : "prodflow cad export: name one STEP file\n", stderr);
        goto done;
    }
    char step[PATH_MAX], out_abs[PATH_MAX];
    if (!realpath(argv[optind], step)) {
        fprintf(stderr, "prodflow cad export: cannot find %s\n", argv[optind]);
        rc = PF_EXIT_FAILED;
        goto done;
    }
    /* The module writes into a scratch directory beside OUT (the same file
     * system, so the GLB is renamed into place, not copied): writing in
     * OUT's own directory replaced a model.glb of the user's there, and
     * two exports into one directory wrote each other's file. */
    snprintf(out_abs, sizeof out_abs, "%s", output);
    char *work = pf_asprintf("%s/.prodflow-export-XXXXXX", dirname(out_abs));
    bool scratch = mkdtemp(work) != NULL;
    if (!scratch) fprintf(stderr, "prodflow cad export: cannot write beside %s: %s\n", output, strerror(errno));
    pf_registry *reg = scratch ? pf_cli_registry() : NULL;
    rc = PF_EXIT_FAILED;
    if (reg) {
        atomic_bool cancel = false;
        pf_module_ctx ctx = {.data_root = "/", .work_dir = work, .cancel = &cancel, .progress = pf_cli_progress};
        json_t *inputs = json_pack("{s:{s:s}}", "step", "path", step), *outputs = NULL;
        pf_error *err = pf_cli_invoke(reg, "cad.export_glb", &ctx, limits, n_limits, inputs, params, &outputs);
        pf_cli_progress_done();
        const json_t *glb = json_object_get(outputs, "glb");
        const char *made = json_string_value(json_object_get(glb, "path"));
        if (err) {
            fprintf(stderr, "prodflow cad export: %s%s%s\n", err->message, err->pointer[0] ? " at " : "", err->pointer);
        } else if (made && strcmp(made, output) != 0 && rename(made, output) != 0) {
            fprintf(stderr, "prodflow cad export: cannot write %s\n", output);
        } else {
            printf("%s: %lld triangles, %lld bytes; %lld distinct shapes meshed for %lld instances; healing %s\n",
                   output, (long long)json_integer_value(json_object_get(glb, "triangles")),
                   (long long)json_integer_value(json_object_get(glb, "size")),
                   (long long)json_integer_value(json_object_get(glb, "meshed_shapes")),
                   (long long)json_integer_value(json_object_get(glb, "instances")),
                   json_string_value(json_object_get(glb, "healing")));
            size_t i;
            json_t *name;
            json_array_foreach(json_object_get(glb, "healed_parts"), i, name)
                printf("  healed: %s\n", json_string_value(name));
            rc = PF_EXIT_OK;
        }
        pf_error_free(err);
        json_decref(outputs);
        json_decref(inputs);
        pf_registry_free(reg);
    }
    if (scratch) pf_error_free(pf_remove_tree(work));
    free(work);
done:
    pf_cli_limits_free(limits, n_limits);
    json_decref(params);
    return rc;
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
        const json_t *box = json_object_get(n, "bbox");
        if (json_is_object(box)) {
            const json_t *lo = json_object_get(box, "min"), *hi = json_object_get(box, "max");
            printf("  size %.1f x %.1f x %.1f mm",
                   1000 * (json_real_value(json_array_get(hi, 0)) - json_real_value(json_array_get(lo, 0))),
                   1000 * (json_real_value(json_array_get(hi, 1)) - json_real_value(json_array_get(lo, 1))),
                   1000 * (json_real_value(json_array_get(hi, 2)) - json_real_value(json_array_get(lo, 2))));
        }
        if (json_integer_value(json_object_get(n, "triangles")))
            printf("  %lld triangles", (long long)json_integer_value(json_object_get(n, "triangles")));
        putchar('\n');
    }
    const json_t *sum = json_object_get(doc, "summary");
    printf("products: %lld, instances: %lld, assemblies: %lld\n",
           (long long)json_integer_value(json_object_get(sum, "products")),
           (long long)json_integer_value(json_object_get(sum, "instances")),
           (long long)json_integer_value(json_object_get(sum, "assemblies")));
}

/* --full: the cad.extract_objects module in full mode, in a scratch directory
 * (in a child under its limits, as an export). */
static pf_error *inspect_full(const char *step, json_t **doc) {
    char dir[] = "/tmp/prodflow-inspect-XXXXXX";
    if (!mkdtemp(dir)) return pf_error_new(PF_EIO, "", "cannot create a scratch directory");
    pf_registry *reg = pf_cli_registry();
    pf_error *err = reg ? NULL : pf_error_new(PF_EINTERNAL, "", "the module registry did not load");
    atomic_bool cancel = false;
    pf_module_ctx ctx = {.data_root = "/", .work_dir = dir, .cancel = &cancel};
    json_t *inputs = json_pack("{s:{s:s}}", "step", "path", step), *params = json_pack("{s:s}", "mode", "full"),
           *out = NULL;
    if (!err) err = pf_cli_invoke(reg, "cad.extract_objects", &ctx, NULL, 0, inputs, params, &out);
    const char *path = json_string_value(json_object_get(json_object_get(out, "objects"), "path"));
    if (!err) *doc = json_load_file(path, 0, NULL);
    if (path) unlink(path);
    rmdir(dir);
    json_decref(out);
    json_decref(params);
    json_decref(inputs);
    pf_registry_free(reg);
    return err;
}

static int inspect(int argc, char **argv) {
    static const struct option opts[] = {{"json", no_argument, 0, 'j'}, {"full", no_argument, 0, 'f'}, {0, 0, 0, 0}};
    int flags[2] = {0};
    const char *file = pf_cli_flags_and_file(argc, argv, opts, flags, "cad inspect");
    if (!file) return PF_EXIT_USAGE;
    int as_json = flags[0], full = flags[1];
    json_t *doc = NULL;
    pf_error *err = NULL;
    char step[PATH_MAX];
    if (full) {
        err = realpath(file, step) ? inspect_full(step, &doc) : pf_error_new(PF_ENOTFOUND, "", "cannot find %s", file);
    } else {
        pf_step_summary *s = NULL;
        err = pf_step_scan_file(file, &s);
        if (!err) doc = pf_step_summary_json(s);
        pf_step_summary_free(s);
    }
    if (err) {
        fprintf(stderr, "prodflow cad inspect: %s\n", err->message);
        pf_error_free(err);
        return PF_EXIT_FAILED;
    }
    if (as_json) {
        json_dumpf(doc, stdout, JSON_INDENT(2));
        putchar('\n');
    } else {
        print_tree(doc);
    }
    json_decref(doc);
    return PF_EXIT_OK;
}

static int fixture(int argc, char **argv) {
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"bolts", required_argument, 0, 'b'},
                                         {"parts", required_argument, 0, 'p'},
                                         {0, 0, 0, 0}};
    pf_fixture_opts fo = {.bolts = 8};
    const char *output = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        if (c == 'o')
            output = optarg;
        else if (c == 'b')
            fo.bolts = atoi(optarg);
        else if (c == 'p')
            fo.extra_parts = atoi(optarg);
        else
            return PF_EXIT_USAGE; /* getopt said what */
    }
    if (!output || optind != argc || fo.bolts < 0 || fo.extra_parts < 0) {
        fputs(!output          ? "prodflow cad fixture: give -o OUT.step\n"
              : optind != argc ? "prodflow cad fixture: unexpected arguments\n"
                               : "prodflow cad fixture: --bolts and --parts are counts, 0 or more\n",
              stderr);
        return PF_EXIT_USAGE;
    }
    pf_error *err = pf_cad_make_fixture(output, &fo);
    if (err) {
        fprintf(stderr, "prodflow cad fixture: %s\n", err->message);
        pf_error_free(err);
        return PF_EXIT_FAILED;
    }
    printf("%s: gearbox with %d bolts and %d extra parts\n", output, fo.bolts, fo.extra_parts);
    return PF_EXIT_OK;
}

static int run(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "inspect") == 0) return inspect(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "export") == 0) return export_glb(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "fixture") == 0) return fixture(argc - 1, argv + 1);
    if (argc < 2)
        fputs("prodflow cad: name an action: inspect, export or fixture\n", stderr);
    else
        fprintf(stderr, "prodflow cad: unknown action \"%s\"; it takes inspect, export or fixture\n", argv[1]);
    return PF_EXIT_USAGE;
}

const pf_command pf_cmd_cad = {"cad", "inspect STEP files, export GLB", run, usage};
