/* prodflow module run|list: one production module, straight through the
 * module layer, with no graph around it. */
#include "cli/cli.h"
#include "core/json_text.h"
#include "core/mem.h"
#include "core/path.h"
#include "modules/invoke.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out) {
    fputs("Usage: prodflow module list\n"
          "       prodflow module run KEY [--input PORT=FILE|JSON ...] [--set PARAM=VALUE ...]\n"
          "                               [--context JSON] [--data-root DIR] [-o DIR] [--json]\n"
          "                               [--memory-limit SIZE]\n\n"
          "Runs one production module directly through the module layer: a module that runs\n"
          "in a process of its own in a run (\"execution\": \"process\") runs in one here too,\n"
          "under its contract's limits.\n\n"
          "Options:\n"
          "  --input PORT=FILE|JSON  an input port: a file path, or an inline JSON value\n"
          "  --set PARAM=VALUE       a parameter; VALUE is JSON when it parses, else a string\n"
          "  --context JSON          the family entry context (entry modules read it)\n"
          "  --data-root DIR         paths are confined below DIR (default: the current directory)\n"
          "  -o, --output DIR        where the module writes its files; outputs.json goes there too\n"
          "  --json                  print the outputs as JSON\n"
          "  --memory-limit SIZE     resident memory the module's process may use (default: its contract's)\n"
          "  -h, --help              this help\n",
          out);
}

static int list(void) {
    pf_registry *reg = pf_cli_registry();
    if (!reg) return PF_EXIT_FAILED;
    for (size_t i = 0; i < reg->n_modules; i++) {
        const pf_module *m = &reg->modules[i];
        printf("%-30s %-8s %s\n", m->key, m->version, pf_module_available(m) ? "available" : "not available yet");
    }
    pf_registry_free(reg);
    return PF_EXIT_OK;
}

/* "NAME=VALUE" into obj[NAME]; a port value that is not JSON is a file. */
static int put_pair(json_t *obj, const char *arg, int as_file, const char *what) {
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        fprintf(stderr, "prodflow module run: %s \"%s\" must look like NAME=VALUE\n", what, arg);
        return -1;
    }
    char *name = pf_strndup(arg, (size_t)(eq - arg));
    json_t *value = NULL;
    if (as_file && eq[1] != '{' && eq[1] != '[') {
        char abs[PATH_MAX];
        value = json_pack("{s:s}", "path", realpath(eq + 1, abs) ? abs : eq + 1);
    } else {
        value = pf_cli_value(eq + 1);
    }
    json_object_set_new(obj, name, value);
    free(name);
    return 0;
}

static void print_outputs(const json_t *outputs) {
    const char *port;
    const json_t *value;
    json_object_foreach((json_t *)outputs, port, value) {
        const char *path = json_string_value(json_object_get(value, "path"));
        if (path)
            printf("  %s: %s (%lld bytes, sha256 %s)\n", port, path,
                   (long long)json_integer_value(json_object_get(value, "size")),
                   json_string_value(json_object_get(value, "sha256")));
        else {
            char *text = pf_json_text(value, false);
            printf("  %s: %s\n", port, text);
            free(text);
        }
    }
}

static int run_module(int argc, char **argv) {
    static const struct option opts[] = {
        {"input", required_argument, 0, 'i'},        {"set", required_argument, 0, 's'},
        {"context", required_argument, 0, 'c'},      {"data-root", required_argument, 0, 'r'},
        {"output", required_argument, 0, 'o'},       {"json", no_argument, 0, 'j'},
        {"memory-limit", required_argument, 0, 'L'}, {0, 0, 0, 0},
    };
    pf_limit_override limits[1];
    size_t n_limits = 0;
    json_t *inputs = json_object(), *params = json_object(), *context = json_object();
    const char *out_dir = NULL, *data_root = NULL;
    int as_json = 0, c, rc = PF_EXIT_USAGE;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            if (put_pair(inputs, optarg, 1, "--input")) goto done;
            break;
        case 's':
            if (put_pair(params, optarg, 0, "--set")) goto done;
            break;
        case 'c':
            json_decref(context);
            context = json_loads(optarg, 0, NULL);
            if (!json_is_object(context)) {
                fprintf(stderr, "prodflow module run: --context must be a JSON object\n");
                goto done;
            }
            break;
        case 'r': data_root = optarg; break;
        case 'o': out_dir = optarg; break;
        case 'j': as_json = 1; break;
        case 'L':
            if (!pf_cli_limit(c, optarg, limits, 1, &n_limits)) goto done;
            break;
        default: goto done; /* getopt said what */
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "prodflow module run: name one module key, for example cad.resolve_step_path\n");
        goto done;
    }
    const char *key = argv[optind];
    pf_registry *reg = pf_cli_registry();
    rc = PF_EXIT_FAILED;
    if (!reg) goto done;
    /* The key, ports and params are checked before -o is made or the module starts. */
    pf_error *refused = pf_module_precheck(reg, key, inputs, params, NULL);
    if (refused) {
        fprintf(stderr, "prodflow module run: %s%s%s\n", refused->message, refused->pointer[0] ? " at " : "",
                refused->pointer);
        if (as_json) {
            json_t *doc = json_pack("{s:s, s:b, s:o}", "module", key, "ok", 0, "error", pf_error_to_json(refused));
            pf_cli_print_json(doc);
            json_decref(doc);
        }
        if (refused->code != PF_EUNAVAILABLE) rc = PF_EXIT_USAGE;
        pf_error_free(refused);
        pf_registry_free(reg);
        goto done;
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) strcpy(cwd, ".");
    pf_error *err = out_dir ? pf_mkdirs(out_dir, 0755) : NULL;
    atomic_bool cancel = false;
    pf_module_ctx ctx = {
        .data_root = data_root ? data_root : cwd,
        .work_dir = out_dir ? out_dir : cwd,
        .share_dir = pf_cli_share_dir(),
        .context = context,
        .cancel = &cancel,
    };
    json_t *outputs = NULL;
    if (!err) err = pf_cli_invoke(reg, key, &ctx, limits, n_limits, inputs, params, &outputs);
    if (err) {
        if (as_json) {
            json_t *doc = json_pack("{s:s, s:b, s:o}", "module", key, "ok", 0, "error", pf_error_to_json(err));
            json_dumpf(doc, stdout, JSON_INDENT(2));
            putchar('\n');
            json_decref(doc);
        }
        fprintf(stderr, "prodflow module run: %s%s%s\n", err->message, err->pointer[0] ? " at " : "", err->pointer);
        pf_error_free(err);
    } else {
        if (out_dir) {
            char *path = pf_asprintf("%s/outputs.json", out_dir);
            json_dump_file(outputs, path, JSON_INDENT(2));
            free(path);
        }
        if (as_json) {
            json_t *doc = json_pack("{s:s, s:b, s:O}", "module", key, "ok", 1, "outputs", outputs);
            json_dumpf(doc, stdout, JSON_INDENT(2));
            putchar('\n');
            json_decref(doc);
        } else {
            printf("%s finished\n", key);
            print_outputs(outputs);
        }
        rc = PF_EXIT_OK;
    }
    json_decref(outputs);
    pf_registry_free(reg);
done:
    pf_cli_limits_free(limits, n_limits);
    json_decref(inputs);
    json_decref(params);
    json_decref(context);
    return rc;
}

static int run(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "list") == 0) return list();
    if (argc >= 2 && strcmp(argv[1], "run") == 0) return run_module(argc - 1, argv + 1);
    if (argc < 2)
        fputs("prodflow module: name an action: list or run\n", stderr);
    else
        fprintf(stderr, "prodflow module: unknown action \"%s\"; it takes list or run\n", argv[1]);
    return PF_EXIT_USAGE;
}

const pf_command pf_cmd_module = {"module", "list modules, or run one directly", run, usage};
