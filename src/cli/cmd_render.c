/* prodflow render: from a STEP file to an image, video or .blend in one
 * command, through the module layer: export the GLB, measure it, map its
 * materials, pick the template, render. The output's extension picks the
 * artifact. Workflow graphs and output types do the same with more control
 * (prodflow run, issue #5). */
#include "cli/cli.h"
#include "core/mem.h"
#include "core/path.h"
#include "modules/invoke.h"
#include "render/template.h"

#include <libgen.h>

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out) {
    fputs("Usage: prodflow render FILE.step -o OUT.(png|webp|mp4|blend) [options] [--json]\n\n"
          "Renders a STEP file with Blender. The output's extension picks the artifact:\n"
          ".png a still, .webp a thumbnail, .mp4 a turntable video, .blend a production file.\n\n"
          "Options:\n"
          "  -o, --output FILE         the file to write\n"
          "  --template KEY            a render template (default: chosen for the artifact)\n"
          "  --category NAME           the product category, for category templates\n"
          "  --width PX, --height PX   frame size (still and turntable)\n"
          "  --samples N               Cycles samples per pixel\n"
          "  --frames N                turntable frames (default 36)\n"
          "  --transparent             transparent background (PNG alpha)\n"
          "  --material-override KEY   one library material for every part\n"
          "  --json                    print one JSON document at the end: status, output, template,\n"
          "                            the modules that ran (progress stays on stderr)\n"
          "  -h, --help                this help\n",
          out);
}

typedef struct {
    const char *ext, *module, *kind, *port;
} artifact;

static const artifact artifacts[] = {
    {".png", "render.blender_still", "still_image", "image"},
    {".webp", "render.thumbnail", "preview_thumbnail", "image"},
    {".mp4", "render.blender_turntable", "turntable_video", "video"},
    {".blend", "render.blender_export_blend", "production_blend", "blend"},
};

static const artifact *artifact_for(const char *output) {
    const char *dot = strrchr(output, '.');
    for (size_t i = 0; dot && i < sizeof artifacts / sizeof *artifacts; i++)
        if (strcmp(dot, artifacts[i].ext) == 0) return &artifacts[i];
    return NULL;
}

typedef struct {
    const pf_registry *reg;
    pf_module_ctx ctx;
    char *work;
    int step, steps;
    bool quiet;  /* --json: stdout holds the document alone */
    json_t *doc; /* the --json document: {"status", "output", "artifact_kind", "template", "steps", "errors"} */
} chain;

/* One module of the chain, with its own work directory and progress label. */
static json_t *step(chain *c, const char *key, json_t *inputs, json_t *params) {
    char label[96];
    snprintf(label, sizeof label, "%d/%d %s", ++c->step, c->steps, key);
    char *work = pf_asprintf("%s/%d", c->work, c->step);
    pf_error *err = pf_mkdirs(work, 0755);
    pf_module_ctx ctx = c->ctx;
    ctx.work_dir = work;
    ctx.progress_user = label;
    json_t *outputs = NULL;
    pf_cli_progress(label, 0, "starting");
    if (!err) err = pf_module_invoke(c->reg, key, &ctx, inputs, params, &outputs);
    pf_cli_progress(label, 1, err ? "failed" : "done");
    pf_cli_progress_done();
    json_array_append_new(json_object_get(c->doc, "steps"),
                          json_pack("{s:s, s:s}", "module", key, "status", err ? "failed" : "succeeded"));
    char *prefix = pf_asprintf("prodflow render: %s", key);
    pf_cli_report_error(prefix, err, json_object_get(c->doc, "errors"));
    free(prefix);
    pf_error_free(err);
    json_decref(inputs);
    json_decref(params);
    free(work);
    return outputs;
}

static json_t *port(const json_t *outputs, const char *name) { return json_object_get(outputs, name); }

static int render(chain *c, const char *step_path, const artifact *a, json_t *params, const char *template_key,
                  const char *category, const char *output) {
    json_t *step_in = json_pack("{s:{s:s}}", "step", "path", step_path);
    json_t *glb = step(c, "cad.export_glb", json_deep_copy(step_in), NULL);
    json_t *bbox = glb ? step(c, "cad.compute_bbox", json_deep_copy(step_in), NULL) : NULL;
    json_t *objects = bbox ? step(c, "cad.extract_objects", json_deep_copy(step_in), NULL) : NULL;
    json_t *auto_map =
        objects ? step(c, "materials.auto_populate", json_pack("{s:O}", "objects", port(objects, "objects")), NULL)
                : NULL;
    json_t *map = auto_map ? step(c, "materials.resolve_map",
                                  json_pack("{s:O, s:O}", "objects", port(objects, "objects"), "auto_map",
                                            port(auto_map, "material_map")),
                                  NULL)
                           : NULL;
    json_t *tmpl = map ? step(c, "render.resolve_template", json_object(),
                              json_pack("{s:s, s:s, s:s}", "template", template_key ? template_key : "", "category",
                                        category ? category : "", "artifact_kind", a->kind))
                       : NULL;
    json_t *made = NULL;
    if (tmpl) {
        json_t *inputs = json_pack("{s:O, s:O, s:O}", "glb", port(glb, "glb"), "bbox", port(bbox, "bbox"),
                                   "material_map", port(map, "material_map"));
        if (strcmp(a->module, "render.thumbnail") != 0) json_object_set(inputs, "template", port(tmpl, "template"));
        made = step(c, a->module, inputs, json_incref(params));
    }
    int rc = PF_EXIT_FAILED;
    const char *path = json_string_value(json_object_get(port(made, a->port), "path"));
    if (path) {
        char *data = NULL;
        size_t len = 0;
        pf_error *err = pf_read_file(path, (size_t)1 << 34, &data, &len);
        if (!err) err = pf_write_file_atomic(output, data, len);
        if (err) {
            char *prefix = pf_asprintf("prodflow render: cannot write %s", output);
            pf_cli_report_error(prefix, err, json_object_get(c->doc, "errors"));
            free(prefix);
        } else {
            const json_t *chosen = port(tmpl, "template");
            if (!c->quiet)
                printf("%s: %s from %s with template %s (%s)\n", output, a->kind, step_path,
                       json_string_value(json_object_get(chosen, "key")),
                       json_string_value(json_object_get(chosen, "reason")));
            char abs[PATH_MAX];
            if (realpath(output, abs)) json_object_set_new(c->doc, "output", json_string(abs));
            json_object_set_new(c->doc, "template",
                                json_pack("{s:O?, s:O?}", "key", json_object_get(chosen, "key"), "reason",
                                          json_object_get(chosen, "reason")));
            rc = PF_EXIT_OK;
        }
        pf_error_free(err);
        free(data);
    }
    json_t *all[] = {step_in, glb, bbox, objects, auto_map, map, tmpl, made};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        json_decref(all[i]);
    return rc;
}

/* The options against what they feed, before OCCT or Blender starts: the
 * render module's params (--width, --samples, ...) and the template. */
static bool fits(const pf_registry *reg, const artifact *a, const json_t *params, const char *template_key,
                 const char *category, json_t *errors) {
    pf_errors errs;
    pf_errors_init(&errs);
    const pf_module *m = pf_registry_find(reg, a->module);
    if (m) json_decref(pf_module_resolve_params(m, params, "/params", &errs));
    pf_template_set set;
    pf_templates_load(pf_cli_share_dir(), "/", &set); /* where render.resolve_template looks */
    json_t *chosen = NULL;
    pf_error *err = pf_template_resolve(&set, template_key, category, a->kind, &chosen);
    if (err) pf_errors_add(&errs, err->code, err->pointer, "%s", err->message);
    pf_error_free(err);
    json_decref(chosen);
    pf_template_set_free(&set);
    bool ok = errs.len == 0;
    pf_cli_report_errors("prodflow render", &errs, errors);
    pf_errors_clear(&errs);
    return ok;
}

static int run(int argc, char **argv) {
    enum { O_TEMPLATE = 256, O_CATEGORY, O_WIDTH, O_HEIGHT, O_SAMPLES, O_FRAMES, O_TRANSPARENT, O_OVERRIDE, O_JSON };
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"template", required_argument, 0, O_TEMPLATE},
                                         {"category", required_argument, 0, O_CATEGORY},
                                         {"width", required_argument, 0, O_WIDTH},
                                         {"height", required_argument, 0, O_HEIGHT},
                                         {"samples", required_argument, 0, O_SAMPLES},
                                         {"frames", required_argument, 0, O_FRAMES},
                                         {"transparent", no_argument, 0, O_TRANSPARENT},
                                         {"material-override", required_argument, 0, O_OVERRIDE},
                                         {"json", no_argument, 0, O_JSON},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    static const char *const param_of[] = {[O_WIDTH - O_TEMPLATE] = "width",
                                           [O_HEIGHT - O_TEMPLATE] = "height",
                                           [O_SAMPLES - O_TEMPLATE] = "samples",
                                           [O_FRAMES - O_TEMPLATE] = "frames",
                                           [O_OVERRIDE - O_TEMPLATE] = "material_override"};
    const char *output = NULL, *template_key = NULL, *category = NULL;
    json_t *params = json_object(), *doc = NULL;
    int c, rc = PF_EXIT_USAGE;
    bool quiet = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 'o')
            output = optarg;
        else if (c == O_TEMPLATE)
            template_key = optarg;
        else if (c == O_CATEGORY)
            category = optarg;
        else if (c == O_TRANSPARENT)
            json_object_set_new(params, "transparent", json_true());
        else if (c >= O_WIDTH && c <= O_OVERRIDE)
            json_object_set_new(params, param_of[c - O_TEMPLATE],
                                c == O_OVERRIDE ? json_string(optarg) : pf_cli_value(optarg));
        else if (c == O_JSON)
            quiet = true;
        else if (c == 'h') {
            usage(stdout);
            rc = PF_EXIT_OK;
            goto done;
        } else
            goto done; /* getopt said what */
    }
    const artifact *a = output ? artifact_for(output) : NULL;
    if (a && strcmp(a->module, "render.thumbnail") == 0) { /* a square preview: --width is its size */
        json_t *size = json_incref(json_object_get(params, "width"));
        json_object_clear(params);
        json_object_set_new(params, "format", json_string("webp"));
        if (size) json_object_set_new(params, "size", size);
    }
    if (optind != argc - 1 || !a) {
        if (output && !a)
            fprintf(stderr, "prodflow render: %s: the extension must be .png, .webp, .mp4 or .blend\n", output);
        else if (!output)
            fprintf(stderr, "prodflow render: -o OUT is required; its extension picks what to make\n");
        else
            fprintf(stderr, "prodflow render: name one STEP file\n");
        goto done;
    }
    char step_path[PATH_MAX];
    rc = PF_EXIT_FAILED;
    doc = json_pack("{s:s, s:s, s:s, s:[], s:[]}", "status", "failed", "output", output, "artifact_kind", a->kind,
                    "steps", "errors");
    json_t *errors = json_object_get(doc, "errors");
    if (!realpath(argv[optind], step_path)) {
        pf_error *err = pf_error_new(PF_ENOTFOUND, "", "cannot find %s", argv[optind]);
        pf_cli_report_error("prodflow render", err, errors);
        pf_error_free(err);
        goto done;
    }
    json_object_set_new(doc, "source", json_string(step_path));
    char *where = pf_strdup(output);
    bool writable = access(dirname(where), W_OK) == 0;
    free(where);
    if (!writable) {
        pf_error *err = pf_error_new(PF_EINVAL, "", "cannot write %s: its directory is missing or read-only", output);
        pf_cli_report_error("prodflow render", err, errors);
        pf_error_free(err);
        goto done;
    }
    pf_registry *reg = pf_cli_registry();
    if (reg && !fits(reg, a, params, template_key, category, errors)) {
        json_object_set_new(doc, "status", json_string("refused"));
        pf_registry_free(reg);
        rc = PF_EXIT_USAGE;
        goto done;
    }
    char tmpl[] = "/tmp/prodflow-render-XXXXXX";
    char *work = reg ? mkdtemp(tmpl) : NULL;
    if (work) {
        atomic_bool cancel = false;
        chain ch = {
            .reg = reg,
            .ctx = {.data_root = "/", .share_dir = pf_cli_share_dir(), .cancel = &cancel, .progress = pf_cli_progress},
            .work = work,
            .steps = 7,
            .quiet = quiet,
            .doc = doc};
        rc = render(&ch, step_path, a, params, template_key, category, output);
        json_object_set_new(doc, "status", json_string(rc == PF_EXIT_OK ? "succeeded" : "failed"));
        pf_error_free(pf_remove_tree(work));
    }
    pf_registry_free(reg);
done:
    if (quiet && doc) pf_cli_print_json(doc);
    json_decref(doc);
    json_decref(params);
    return rc;
}

const pf_command pf_cmd_render = {
    .name = "render",
    .summary = "render a STEP file to a still, thumbnail, turntable or .blend",
    .run = run,
    .usage = usage,
};
