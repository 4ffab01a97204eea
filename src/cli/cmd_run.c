/* prodflow run: the one-command job. It runs the CAD intake of a STEP file,
 * makes an ephemeral order line for the product and the output type,
 * dispatches it by the output type's rollout (legacy, shadow or graph) and
 * writes the delivered artifacts to a directory. The same runtime, store and
 * modules as `prodflow serve`, in this process. */
#include "api/app.h"
#include "catalog/cad_file.h"
#include "catalog/catalog.h"
#include "cli/cli.h"
#include "core/closest.h"
#include "core/json.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/regex.h"
#include "core/subprocess.h"
#include "legacy/rollout.h"
#include "runtime/params.h"
#include "runtime/parity.h"
#include "workflow/workflow.h"

#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out) {
    fputs(
        "Usage: prodflow run FILE.step --output-type KEY [--set PARAM=VALUE ...] [-o DIR] [--data-dir DIR] [--json]\n\n"
        "Runs the CAD intake of FILE.step, then makes it as the output type (the\n"
        "catalog's; a fresh data directory gets studio_still, studio_still_v2, turntable_360,\n"
        "production_blend and glb_model), by its rollout: the legacy pipeline, the linked workflow, or\n"
        "both side by side in shadow with a parity report. The delivered artifacts are\n"
        "written to DIR.\n\n"
        "Options:\n"
        "  --output-type KEY       what to make: studio_still, turntable_360, glb_model, ...\n"
        "  --set PARAM=VALUE       an order-line override of an invocation parameter (repeatable)\n"
        "  -o, --output DIR        where the artifacts go (default: the current directory)\n"
        "  --data-dir DIR          the state directory, as for serve (default ./var); one this\n"
        "                          command makes is removed again when it fails\n"
        "  --json                  print one JSON document at the end: run ids, status, artifact\n"
        "                          paths (progress stays on stderr)\n"
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
static void explain(pf_app *app, const char *run_id, json_t *errors) {
    json_t *run = NULL;
    pf_error_free(pf_store_run_get(app->store, run_id, true, &run));
    const char *id;
    const json_t *node;
    json_object_foreach(json_object_get(run, "nodes"), id, node) {
        const json_t *err = json_object_get(json_object_get(node, "state"), "error");
        if (!err) continue;
        fprintf(stderr, "  node %s: %s%s%s\n", id, pf_json_str(err, "message"),
                *pf_json_str(err, "pointer") ? " at " : "", pf_json_str(err, "pointer"));
        json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "node", id, "pointer", pf_json_str(err, "pointer"),
                                                "message", pf_json_str(err, "message")));
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
static int deliver(pf_app *app, const char *run_id, const char *dir, const char *stem, json_t *doc, bool quiet) {
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
            pf_cli_report_error("prodflow run", err, json_object_get(doc, "errors"));
            pf_error_free(err);
        } else {
            if (!quiet) printf("%s: %s\n", target, pf_json_str(spec, "kind"));
            char abs[PATH_MAX];
            json_array_append_new(json_object_get(doc, "artifacts"),
                                  json_pack("{s:s, s:s, s:s?, s:s?}", "role", role, "path",
                                            realpath(target, abs) ? abs : target, "kind", pf_json_str(spec, "kind"),
                                            "media_type", pf_json_str(value, "media_type")));
            delivered++;
        }
        free(target);
    }
    json_decref(run);
    return delivered;
}

static void report_parity(pf_app *app, const char *run_id, const char *dir, const char *stem, json_t *doc, bool quiet) {
    json_t *report = NULL;
    pf_parity_env env = {.store = app->store, .data_dir = app->data_dir, .share_dir = app->share_dir};
    pf_error *err = pf_parity_report(&env, run_id, &report);
    if (err) {
        pf_cli_report_error("prodflow run: parity", err, json_object_get(doc, "errors"));
        pf_error_free(err);
        return;
    }
    char *path = pf_asprintf("%s/%s-parity.json", dir, stem), abs[PATH_MAX];
    char *text = json_dumps(report, JSON_INDENT(2) | JSON_SORT_KEYS);
    pf_error_free(pf_write_file_atomic(path, text, strlen(text)));
    size_t n = json_array_size(json_object_get(report, "differences"));
    bool identical = json_is_true(json_object_get(report, "identical"));
    json_object_set_new(doc, "parity",
                        json_pack("{s:s, s:b, s:I}", "path", realpath(path, abs) ? abs : path, "identical", identical,
                                  "differences", (json_int_t)n));
    if (!quiet) {
        printf("%s: shadow parity %s", path, identical ? "identical" : "differs");
        if (n) printf(" (%zu difference%s)", n, n == 1 ? "" : "s");
        putchar('\n');
    }
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

/* What one `prodflow run` was asked and what it made; doc is the --json
 * document: {"status", "output_type", "intake_run", "run", "shadow_run",
 * "artifacts": [{"role", "path", "kind", "media_type"}], "parity", "errors"}. */
typedef struct {
    const char *step, *dir;
    json_t *overrides;
    bool quiet; /* --json: stdout holds the document alone */
    json_t *doc;
} request;

static void set_status(json_t *doc, const char *status) { json_object_set_new(doc, "status", json_string(status)); }

static int run_job(pf_app *app, const json_t *output_type, request *r) {
    json_t *errors = json_object_get(r->doc, "errors");
    pf_error *err = NULL;
    char *rel = stage(app->data_dir, r->step, &err);
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
    if (!err) {
        json_object_set_new(r->doc, "intake_run", json_string(intake_id));
        status = follow(&j, intake_id);
    }
    int rc = PF_EXIT_FAILED;
    char *copy = pf_strdup(r->step), *stem = pf_strdup(basename(copy));
    if (strrchr(stem, '.')) *strrchr(stem, '.') = '\0';
    if (status && strcmp(status, "succeeded") != 0) {
        fprintf(stderr, "prodflow run: the CAD intake %s (run %s)\n", status, intake_id);
        explain(app, intake_id, errors);
    } else if (status) {
        json_t *line = order_line(app, intake_id, rel, stem, pf_json_str(output_type, "key"), r->overrides);
        pf_dispatched d = {0};
        err = pf_rollout_dispatch(app->runtime, app->store, app->starters, &app->registry->contract, output_type, line,
                                  &errs, &d);
        json_decref(line);
        if (!err) {
            json_object_set_new(r->doc, "run", json_string(d.run_id));
            if (d.shadow_run_id) json_object_set_new(r->doc, "shadow_run", json_string(d.shadow_run_id));
            j.label = pf_json_str(output_type, "key");
            free(status);
            status = follow(&j, d.run_id);
            set_status(r->doc, status);
            char *shadow_status = NULL;
            if (d.shadow_run_id) {
                j.label = "shadow";
                shadow_status = follow(&j, d.shadow_run_id);
                json_object_set_new(r->doc, "shadow_status", json_string(shadow_status));
            }
            if (strcmp(status, "succeeded") == 0 && deliver(app, d.run_id, r->dir, stem, r->doc, r->quiet) > 0) {
                rc = PF_EXIT_OK;
            } else {
                fprintf(stderr, "prodflow run: the %s run %s%s (run %s)\n", pf_json_str(output_type, "rollout"), status,
                        strcmp(status, "succeeded") == 0 ? " but delivered no artifact" : "", d.run_id);
                explain(app, d.run_id, errors);
            }
            if (d.shadow_run_id) report_parity(app, d.run_id, r->dir, stem, r->doc, r->quiet);
            free(shadow_status);
            pf_dispatched_free(&d);
        }
    }
    if (rc != PF_EXIT_OK && !strcmp(pf_json_str(r->doc, "status"), "succeeded")) set_status(r->doc, "failed");
    pf_cli_report_errors("prodflow run", &errs, errors);
    pf_cli_report_error("prodflow run", err, errors);
    pf_error_free(err);
    pf_errors_clear(&errs);
    free(stem);
    free(copy);
    free(status);
    free(intake_id);
    free(rel);
    return rc;
}

/* Finds the output type or says which one was meant. */
static json_t *find_output_type(pf_app *app, const char *key, json_t *errors) {
    json_t *output_type = NULL;
    pf_error *missing = pf_store_item_get(app->store, "output_type", key, &output_type);
    if (!missing) return output_type;
    pf_error_free(missing);
    json_t *types = pf_catalog_keys(app->store, "output_type");
    pf_closest near;
    pf_closest_init(&near, key);
    size_t i;
    const json_t *k;
    json_array_foreach(types, i, k) pf_closest_offer(&near, json_string_value(k));
    char *known = pf_strdup("");
    json_array_foreach(types, i, k) {
        char *next = pf_asprintf("%s%s%s", known, i ? ", " : "", json_string_value(k));
        free(known);
        known = next;
    }
    pf_error *err =
        pf_error_new(PF_ENOTFOUND, "", "no output type \"%s\"%s%s%s; known: %s", key,
                     pf_closest_best(&near) ? " (did you mean \"" : "",
                     pf_closest_best(&near) ? pf_closest_best(&near) : "", pf_closest_best(&near) ? "\"?)" : "", known);
    pf_cli_report_error("prodflow run", err, errors);
    pf_error_free(err);
    free(known);
    json_decref(types);
    return NULL;
}

/* The --set keys and values against what the output type's run takes, so
 * a typo is refused before the intake spends a minute on the file. */
static bool overrides_fit(pf_app *app, const json_t *output_type, const json_t *overrides, json_t *errors) {
    if (!json_object_size(overrides)) return true;
    const char *rollout = pf_json_str(output_type, "rollout");
    pf_errors errs;
    pf_errors_init(&errs);
    if (!rollout || strcmp(rollout, "graph") != 0) {
        pf_errors_add(&errs, PF_EINVAL, "/overrides",
                      "output type %s runs the legacy pipeline%s, which takes no per-line overrides (--set)",
                      pf_json_str(output_type, "key"), rollout && !strcmp(rollout, "shadow") ? " (in shadow)" : "");
    } else {
        const json_t *link = json_object_get(output_type, "workflow");
        json_t *wf = NULL;
        pf_error *err =
            pf_workflow_find(app->store, app->starters, pf_json_str(link, "id") ? pf_json_str(link, "id") : "",
                             (int)json_integer_value(json_object_get(link, "version")), &wf);
        if (err) pf_errors_add(&errs, err->code, "/output_type/workflow", "%s", err->message);
        pf_error_free(err);
        long pattern_budget = PF_REGEX_BUDGET;
        if (wf) pf_params_check_overrides(wf, overrides, "/overrides", &errs, &pattern_budget);
        json_decref(wf);
    }
    bool fit = errs.len == 0;
    pf_cli_report_errors("prodflow run", &errs, errors);
    pf_errors_clear(&errs);
    return fit;
}

/* "--set NAME=VALUE" into overrides; false (said why) when it is not that. */
static bool put_override(json_t *overrides, const char *arg) {
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        fprintf(stderr, "prodflow run: --set takes PARAM=VALUE, not \"%s\"\n", arg);
        return false;
    }
    char *name = pf_strndup(arg, (size_t)(eq - arg));
    json_object_set_new(overrides, name, pf_cli_value(eq + 1));
    free(name);
    return true;
}

static int run(int argc, char **argv) {
    pf_heap_for_runs();
    pf_log_init(stderr, PF_LOG_WARN); /* progress lines tell the story; the runtime's log would repeat it */
    static const struct option opts[] = {{"output-type", required_argument, 0, 't'},
                                         {"set", required_argument, 0, 's'},
                                         {"output", required_argument, 0, 'o'},
                                         {"data-dir", required_argument, 0, 'd'},
                                         {"json", no_argument, 0, 'j'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *type_key = NULL, *data_dir = "./var";
    request r = {.dir = ".", .overrides = json_object()};
    int c, rc = PF_EXIT_USAGE;
    bool bad = false;
    optind = 1;
    while (!bad && (c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 't': type_key = optarg; break;
        case 'o': r.dir = optarg; break;
        case 'd': data_dir = optarg; break;
        case 'j': r.quiet = true; break;
        case 's': bad = !put_override(r.overrides, optarg); break;
        case 'h':
            usage(stdout);
            rc = PF_EXIT_OK;
            goto done;
        default: bad = true; /* getopt said what */
        }
    }
    if (!bad && optind != argc - 1) {
        fprintf(stderr, "prodflow run: name one STEP file\n");
        bad = true;
    } else if (!bad && !type_key) {
        fprintf(stderr, "prodflow run: --output-type is required\n");
        bad = true;
    }
    if (bad) goto done;
    r.doc = json_pack("{s:s, s:s, s:[], s:[]}", "status", "failed", "output_type", type_key, "artifacts", "errors");
    char step[PATH_MAX];
    rc = PF_EXIT_FAILED;
    if (!realpath(argv[optind], step)) {
        pf_error *err = pf_error_new(PF_ENOTFOUND, "", "cannot find %s", argv[optind]);
        pf_cli_report_error("prodflow run", err, json_object_get(r.doc, "errors"));
        pf_error_free(err);
        goto done;
    }
    r.step = step;
    /* Noted before anything is made: a run that fails takes them back. */
    pf_cli_dir data = pf_cli_dir_note(data_dir), out = pf_cli_dir_note(r.dir);
    pf_errors errs;
    pf_errors_init(&errs);
    char *self = pf_cli_self(); /* isolated modules run in it */
    pf_app_config cfg = {.data_dir = data_dir,
                         .share_dir = pf_cli_share_dir(),
                         .blender_workers = 1,
                         .demo_data = true,
                         .module_runner = self};
    pf_app *app = pf_app_open(&cfg, &errs);
    pf_cli_report_errors("prodflow run", &errs, json_object_get(r.doc, "errors"));
    json_t *output_type = app ? find_output_type(app, type_key, json_object_get(r.doc, "errors")) : NULL;
    if (app && (!output_type || !overrides_fit(app, output_type, r.overrides, json_object_get(r.doc, "errors")))) {
        set_status(r.doc, "refused");
        rc = PF_EXIT_USAGE;
    } else if (app) {
        pf_error *err = pf_mkdirs(r.dir, 0755);
        pf_cli_report_error("prodflow run", err, json_object_get(r.doc, "errors"));
        if (!err) rc = run_job(app, output_type, &r);
        pf_error_free(err);
    }
    json_decref(output_type);
    pf_app_close(app);
    pf_cli_dir_undo(&data, rc, true);
    pf_cli_dir_undo(&out, rc, false);
    pf_errors_clear(&errs);
    free(self);
done:
    if (r.quiet && r.doc) pf_cli_print_json(r.doc);
    json_decref(r.doc);
    json_decref(r.overrides);
    return rc;
}

const pf_command pf_cmd_run = {
    .name = "run",
    .summary = "run the CAD intake and an order render of a STEP file, by output type",
    .run = run,
    .usage = usage,
};
