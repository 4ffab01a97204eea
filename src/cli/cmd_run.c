/* prodflow run: the one-command job. It runs the CAD intake of a STEP file,
 * makes an ephemeral order line for the product and the output type,
 * dispatches it by the output type's rollout (legacy, shadow or graph) and
 * writes the delivered artifacts to a directory. The same runtime, store and
 * modules as `prodflow serve`, in this process. */
#include "api/app.h"
#include "catalog/cad_file.h"
#include "catalog/catalog.h"
#include "cli/cli.h"
#include "core/json.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/subprocess.h"
#include "legacy/rollout.h"
#include "runtime/parity.h"
#include "workflow/workflow.h"

#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out) {
    fputs("Usage: prodflow run FILE.step --output-type KEY [--set PARAM=VALUE ...] [-o DIR] [--data-dir DIR]\n\n"
          "Runs the CAD intake of FILE.step, then makes it as the output type (the\n"
          "catalog's; a fresh data directory gets studio_still, studio_still_v2, turntable_360,\n"
          "production_blend and glb_model), by its rollout: the legacy pipeline, the linked workflow, or\n"
          "both side by side in shadow with a parity report. The delivered artifacts are\n"
          "written to DIR.\n\n"
          "Options:\n"
          "  --output-type KEY       what to make: studio_still, turntable_360, glb_model, ...\n"
          "  --set PARAM=VALUE       an order-line override of an invocation parameter (repeatable)\n"
          "  -o, --output DIR        where the artifacts go (default: the current directory)\n"
          "  --data-dir DIR          the state directory, as for serve (default ./var)\n"
          "  -h, --help              this help\n",
          out);
}

typedef struct {
    pf_app *app;
    const char *label;
    char last[420]; /* what the progress line said last, so a pipe gets one line per change */
} job;

/* Waits for a run, showing which nodes have finished and which are running. */
static char *follow(job *j, const char *run_id) {
    char *status = NULL;
    for (;;) {
        json_t *run = NULL;
        pf_error_free(pf_store_run_get(j->app->store, run_id, true, &run));
        size_t total = json_object_size(json_object_get(run, "nodes")), done = 0;
        const char *id;
        const json_t *node;
        json_object_foreach(json_object_get(run, "nodes"), id, node) {
            const char *s = pf_json_str(node, "status");
            if (s && strcmp(s, "pending") != 0 && strcmp(s, "running") != 0) done++;
        }
        json_t *live = pf_runtime_live(j->app->runtime, run_id);
        /* shown: each running node with what its module said, its time and
         * estimate; key: the same without the clock, so a pipe gets a line
         * per step, not per second. */
        char shown[400] = "", key[400] = "";
        double partial = 0;
        json_object_foreach(live, id, node) {
            const json_t *f = json_object_get(node, "fraction"), *eta = json_object_get(node, "eta_s");
            const char *said = pf_json_str(node, "message");
            char what[200], left[32] = "";
            size_t k = (size_t)snprintf(what, sizeof what, "%s", id);
            if (f && k < sizeof what)
                k += (size_t)snprintf(what + k, sizeof what - k, " %.0f%%", 100 * json_number_value(f));
            if (said && k < sizeof what) snprintf(what + k, sizeof what - k, " %s", said);
            if (eta) snprintf(left, sizeof left, ", ~%.0fs left", json_number_value(eta));
            size_t used = strlen(shown), kused = strlen(key);
            snprintf(shown + used, sizeof shown - used, "%s%s (%.0fs%s)", used ? "; " : "", what,
                     json_number_value(json_object_get(node, "elapsed_s")), left);
            snprintf(key + kused, sizeof key - kused, "%s%s", kused ? "; " : "", what);
            partial += f ? json_number_value(f) : 0;
        }
        json_decref(live);
        char now[420];
        snprintf(now, sizeof now, "%zu/%zu %s", done, total, key);
        if (isatty(STDERR_FILENO) || strcmp(now, j->last) != 0)
            pf_cli_progress((void *)j->label, total ? ((double)done + partial) / (double)total : 0,
                            *shown          ? shown
                            : done == total ? "done"
                                            : "waiting");
        snprintf(j->last, sizeof j->last, "%s", now);
        const char *s = pf_json_str(run, "status");
        bool final = s && strcmp(s, "running") != 0;
        if (final) status = pf_strdup(s);
        json_decref(run);
        if (final) break;
        usleep(200000);
    }
    pf_cli_progress_done();
    return status;
}

/* Says what went wrong in a run that did not succeed, node by node. */
static void explain(pf_app *app, const char *run_id) {
    json_t *run = NULL;
    pf_error_free(pf_store_run_get(app->store, run_id, true, &run));
    const char *id;
    const json_t *node;
    json_object_foreach(json_object_get(run, "nodes"), id, node) {
        const json_t *err = json_object_get(json_object_get(node, "state"), "error");
        if (err)
            fprintf(stderr, "  node %s: %s%s%s\n", id, pf_json_str(err, "message"),
                    *pf_json_str(err, "pointer") ? " at " : "", pf_json_str(err, "pointer"));
    }
    json_decref(run);
}

static const json_t *output_of(const json_t *run, const char *node, const char *port) {
    return json_object_get(
        json_object_get(json_object_get(json_object_get(json_object_get(run, "nodes"), node), "state"), "outputs"),
        port);
}

/* The ephemeral order line: the product with its intake's artifacts. */
static json_t *order_line(pf_app *app, const char *intake_id, const char *step_path, const char *product,
                          const char *output_type, json_t *overrides) {
    json_t *intake = pf_cad_file_intake(app->store, intake_id);
    json_object_del(intake, "thumbnail");
    char *id = pf_asprintf("line_%s", intake_id + 4);
    json_t *line =
        json_pack("{s:s, s:{s:s, s:s}, s:s, s:o, s:O, s:{s:s}}", "id", id, "product", "name", product, "category", "",
                  "output_type", output_type, "intake", intake, "overrides", overrides, "cad_file", "path", step_path);
    free(id);
    return line;
}

/* Artifacts live under their digest; a delivered file gets its extension back. */
static const char *extension(const char *media_type) {
    static const char *const known[][2] = {{"image/png", ".png"},         {"image/webp", ".webp"},
                                           {"video/mp4", ".mp4"},         {"application/x-blender", ".blend"},
                                           {"model/gltf-binary", ".glb"}, {"application/json", ".json"}};
    for (size_t i = 0; media_type && i < sizeof known / sizeof *known; i++)
        if (strcmp(media_type, known[i][0]) == 0) return known[i][1];
    return "";
}

/* Copies the run's delivered artifacts into dir. */
static int deliver(pf_app *app, const char *run_id, const char *dir, const char *stem) {
    json_t *run = NULL;
    pf_error_free(pf_store_run_get(app->store, run_id, true, &run));
    const json_t *artifacts = json_object_get(
        json_object_get(json_object_get(json_object_get(run, "doc"), "workflow"), "invocation"), "artifacts");
    const char *role;
    const json_t *spec;
    int delivered = 0;
    json_object_foreach((json_t *)artifacts, role, spec) {
        const char *from = pf_json_str(spec, "from"), *dot = from ? strchr(from, '.') : NULL;
        if (!dot) continue;
        char *node = pf_strndup(from, (size_t)(dot - from));
        const json_t *value = output_of(run, node, dot + 1);
        free(node);
        const char *path = pf_json_str(value, "path");
        if (!path) continue;
        const char *kind = strchr(role, '.') ? strchr(role, '.') + 1 : role;
        char *target = pf_asprintf("%s/%s-%s%s", dir, stem, kind, extension(pf_json_str(value, "media_type")));
        pf_error *err = pf_copy_file_atomic(path, target);
        if (err) {
            fprintf(stderr, "prodflow run: %s\n", err->message);
            pf_error_free(err);
        } else {
            printf("%s: %s\n", target, pf_json_str(spec, "kind"));
            delivered++;
        }
        free(target);
    }
    json_decref(run);
    return delivered;
}

static void report_parity(pf_app *app, const char *run_id, const char *dir, const char *stem) {
    json_t *report = NULL;
    pf_parity_env env = {.store = app->store, .data_dir = app->data_dir, .share_dir = app->share_dir};
    pf_error *err = pf_parity_report(&env, run_id, &report);
    if (err) {
        fprintf(stderr, "prodflow run: parity: %s\n", err->message);
        pf_error_free(err);
        return;
    }
    char *path = pf_asprintf("%s/%s-parity.json", dir, stem);
    char *text = json_dumps(report, JSON_INDENT(2) | JSON_SORT_KEYS);
    pf_error_free(pf_write_file_atomic(path, text, strlen(text)));
    size_t n = json_array_size(json_object_get(report, "differences"));
    printf("%s: shadow parity %s", path, json_is_true(json_object_get(report, "identical")) ? "identical" : "differs");
    if (n) printf(" (%zu difference%s)", n, n == 1 ? "" : "s");
    putchar('\n');
    free(text);
    free(path);
    json_decref(report);
}

/* Puts the STEP file inside the data directory, where modules may read it. */
static char *stage(const char *data_dir, const char *step, pf_error **err) {
    char *copy = pf_strdup(step);
    char *rel = pf_asprintf("uploads/%s", basename(copy));
    char *dst = pf_asprintf("%s/%s", data_dir, rel), *dir = pf_asprintf("%s/uploads", data_dir);
    *err = pf_mkdirs(dir, 0755);
    if (!*err) *err = pf_copy_file_atomic(step, dst);
    free(dir);
    free(dst);
    free(copy);
    if (*err) {
        free(rel);
        return NULL;
    }
    return rel;
}

static int run_job(pf_app *app, const char *step, const json_t *output_type, json_t *overrides, const char *dir) {
    pf_error *err = NULL;
    char *rel = stage(app->data_dir, step, &err);
    char *intake_id = NULL, *status = NULL;
    pf_errors errs;
    pf_errors_init(&errs);
    if (!err) {
        json_t *ctx = json_pack("{s:s}", "step_path", rel), *wf = NULL;
        err = pf_workflow_find(app->store, app->starters, "starter-cad-intake", 0, &wf);
        pf_run_request req = {.workflow = wf, .context = ctx};
        if (wf) err = pf_runtime_submit(app->runtime, &req, &errs, &intake_id);
        json_decref(wf);
        json_decref(ctx);
    }
    job j = {app, "intake", ""};
    if (!err) status = follow(&j, intake_id);
    int rc = PF_EXIT_FAILED;
    char *copy = pf_strdup(step), *stem = pf_strdup(basename(copy));
    if (strrchr(stem, '.')) *strrchr(stem, '.') = '\0';
    if (status && strcmp(status, "succeeded") != 0) {
        fprintf(stderr, "prodflow run: the CAD intake %s (run %s)\n", status, intake_id);
        explain(app, intake_id);
    } else if (status) {
        json_t *line = order_line(app, intake_id, rel, stem, pf_json_str(output_type, "key"), overrides);
        pf_dispatched d = {0};
        err = pf_rollout_dispatch(app->runtime, app->store, app->starters, &app->registry->contract, output_type, line,
                                  &errs, &d);
        json_decref(line);
        if (!err) {
            j.label = pf_json_str(output_type, "key");
            free(status);
            status = follow(&j, d.run_id);
            char *shadow_status = NULL;
            if (d.shadow_run_id) {
                j.label = "shadow";
                shadow_status = follow(&j, d.shadow_run_id);
            }
            if (strcmp(status, "succeeded") == 0 && deliver(app, d.run_id, dir, stem) > 0) {
                rc = PF_EXIT_OK;
            } else {
                fprintf(stderr, "prodflow run: the %s run %s (run %s)\n", pf_json_str(output_type, "rollout"), status,
                        d.run_id);
                explain(app, d.run_id);
            }
            if (d.shadow_run_id) report_parity(app, d.run_id, dir, stem);
            free(shadow_status);
            pf_dispatched_free(&d);
        }
    }
    for (size_t i = 0; i < errs.len; i++)
        fprintf(stderr, "prodflow run: %s%s%s\n", errs.items[i].message, *errs.items[i].pointer ? " at " : "",
                errs.items[i].pointer);
    if (err) fprintf(stderr, "prodflow run: %s%s%s\n", err->message, *err->pointer ? " at " : "", err->pointer);
    pf_error_free(err);
    pf_errors_clear(&errs);
    free(stem);
    free(copy);
    free(status);
    free(intake_id);
    free(rel);
    return rc;
}

static int run(int argc, char **argv) {
    pf_log_init(stderr, PF_LOG_WARN); /* progress lines tell the story; the runtime's log would repeat it */
    static const struct option opts[] = {{"output-type", required_argument, 0, 't'},
                                         {"set", required_argument, 0, 's'},
                                         {"output", required_argument, 0, 'o'},
                                         {"data-dir", required_argument, 0, 'd'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *type_key = NULL, *dir = ".", *data_dir = "./var";
    json_t *overrides = json_object();
    int c, rc = PF_EXIT_USAGE;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 't') {
            type_key = optarg;
        } else if (c == 'o') {
            dir = optarg;
        } else if (c == 'd') {
            data_dir = optarg;
        } else if (c == 's' && strchr(optarg, '=')) {
            char *name = pf_strndup(optarg, (size_t)(strchr(optarg, '=') - optarg));
            json_object_set_new(overrides, name, pf_cli_value(strchr(optarg, '=') + 1));
            free(name);
        } else {
            usage(c == 'h' ? stdout : stderr);
            rc = c == 'h' ? PF_EXIT_OK : PF_EXIT_USAGE;
            goto done;
        }
    }
    char step[PATH_MAX];
    if (optind != argc - 1 || !type_key) {
        usage(stderr);
        goto done;
    }
    rc = PF_EXIT_FAILED;
    if (!realpath(argv[optind], step)) {
        fprintf(stderr, "prodflow run: cannot find %s\n", argv[optind]);
        goto done;
    }
    pf_errors errs;
    pf_errors_init(&errs);
    pf_error *err = pf_mkdirs(dir, 0755);
    char *self = pf_cli_self(); /* isolated modules run in it */
    pf_app_config cfg = {.data_dir = data_dir,
                         .share_dir = pf_cli_share_dir(),
                         .blender_workers = 1,
                         .demo_data = true,
                         .module_runner = self};
    pf_app *app = err ? NULL : pf_app_open(&cfg, &errs);
    if (err) fprintf(stderr, "prodflow run: %s\n", err->message);
    if (!app) pf_cli_print_errors(stderr, "prodflow run", &errs);
    json_t *output_type = NULL;
    pf_error *missing = app ? pf_store_item_get(app->store, "output_type", type_key, &output_type) : NULL;
    if (missing) {
        pf_error_free(missing);
        json_t *types = pf_catalog_keys(app->store, "output_type");
        fprintf(stderr, "prodflow run: no output type \"%s\"; known:", type_key);
        size_t i;
        const json_t *key;
        json_array_foreach(types, i, key) fprintf(stderr, " %s", json_string_value(key));
        fputc('\n', stderr);
        json_decref(types);
    }
    if (output_type) rc = run_job(app, step, output_type, overrides, dir);
    json_decref(output_type);
    pf_app_close(app);
    pf_error_free(err);
    pf_errors_clear(&errs);
    free(self);
done:
    json_decref(overrides);
    return rc;
}

const pf_command pf_cmd_run = {
    .name = "run",
    .summary = "run the CAD intake and an order render of a STEP file, by output type",
    .run = run,
    .usage = usage,
};
