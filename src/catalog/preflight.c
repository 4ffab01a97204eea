/* Preflight of an order line: every reason it would not render, found
 * without running a module. */
#include "catalog/order.h"
#include "core/json.h"

#include "catalog/output_type.h"
#include "contract/contract.h"
#include "core/mem.h"
#include "core/path.h"
#include "legacy/compat.h"
#include "modules/materials/library.h"
#include "modules/module_files.h"
#include "render/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void warn(json_t *warnings, const char *ptr, const char *message) {
    json_array_append_new(warnings,
                          json_pack("{s:s, s:s, s:s}", "code", "warning", "pointer", ptr, "message", message));
}

/* A setting as the run will see it: the line's override, else the output
 * type's override, else its legacy setting. */
static const json_t *setting(const json_t *line, const char *name, const char *legacy_name) {
    const json_t *type = json_object_get(line, "output_type");
    const json_t *v = json_object_get(json_object_get(line, "overrides"), name);
    if (!v) v = json_object_get(json_object_get(type, "overrides"), name);
    if (!v) v = json_object_get(json_object_get(type, "legacy_render_settings"), legacy_name);
    return v;
}

static void check_intake(const json_t *line, pf_errors *errs) {
    const json_t *product = json_object_get(line, "product"), *intake = json_object_get(line, "intake");
    const char *status = pf_json_str(intake, "status");
    if (!json_is_object(product))
        pf_errors_add(errs, PF_EINVAL, "/product", "the line's product %s no longer exists",
                      pf_json_str(line, "product"));
    else if (!pf_json_str(product, "cad_file"))
        pf_errors_add(errs, PF_EINVAL, "/product/cad_file", "product %s has no CAD file: upload one first",
                      pf_json_str(product, "id"));
    else if (!status || strcmp(status, "missing") == 0)
        pf_errors_add(errs, PF_EINVAL, "/intake", "the CAD intake of product %s is missing",
                      pf_json_str(product, "id"));
    else if (strcmp(status, "running") == 0)
        pf_errors_add(errs, PF_EINVAL, "/intake/status", "the CAD intake of product %s is still running (run %s)",
                      pf_json_str(product, "id"), pf_json_str(intake, "run_id"));
    else if (strcmp(status, "succeeded") != 0)
        pf_errors_add(errs, PF_EINVAL, "/intake/status",
                      "the CAD intake of product %s %s (run %s): fix the file and upload it again",
                      pf_json_str(product, "id"), status, pf_json_str(intake, "run_id"));
}

/* Every part must end up with a material of the library under
 * require_complete. A material the allowed list lacks is re-mapped by the
 * run (a warning says how many) or, under on_disallowed: fail, blocks. */
static void check_materials(const pf_catalog *c, const json_t *line, pf_errors *errs, json_t *warnings) {
    const json_t *type = json_object_get(line, "output_type"), *intake = json_object_get(line, "intake");
    const json_t *constraints = json_object_get(type, "material_constraints");
    json_t *objects = NULL, *map = NULL, *library = NULL;
    if (!json_object_get(intake, "objects") || !json_object_get(intake, "material_map")) return;
    pf_module_ctx ctx = {.share_dir = c->share_dir, .data_root = c->data_dir};
    const char *lib = pf_json_str(constraints, "library") ? pf_json_str(constraints, "library") : "default";
    pf_error *err = pf_material_library_load(&ctx, lib, &library);
    if (err) {
        pf_errors_add(errs, PF_EINVAL, "/output_type/material_constraints/library", "%s", err->message);
        pf_error_free(err);
        return;
    }
    if (pf_module_read_json_input(json_object_get(intake, "objects"), "/intake/objects", &objects) ||
        pf_module_read_json_input(json_object_get(intake, "material_map"), "/intake/material_map", &map)) {
        pf_errors_add(errs, PF_EINVAL, "/intake", "the CAD intake's files cannot be read");
        json_decref(objects);
        json_decref(library);
        return;
    }
    const char *override = json_string_value(setting(line, "material_override", "material_override"));
    if (override && *override && !pf_material_find(library, override))
        pf_errors_add(errs, PF_EINVAL, "/output_type/overrides/material_override",
                      "material \"%s\" is not in library %s", override, lib);
    const json_t *allowed = json_object_get(constraints, "allowed_materials");
    size_t unmapped = 0, disallowed = 0, i;
    const char *first = NULL, *first_disallowed = NULL;
    const json_t *node;
    json_array_foreach(json_object_get(objects, "tree"), i, node) {
        if (json_is_true(json_object_get(node, "is_assembly"))) continue;
        const char *path = pf_json_str(node, "path");
        const char *m = override && *override
                            ? override
                            : pf_json_str(json_object_get(json_object_get(map, "parts"), path), "material");
        bool ok = m && pf_material_find(library, m);
        if (ok && json_array_size(allowed)) {
            bool listed = false;
            size_t k;
            const json_t *a;
            json_array_foreach(allowed, k, a) listed =
                listed || (json_string_value(a) && !strcmp(json_string_value(a), m));
            if (!listed && !disallowed++) first_disallowed = path;
        }
        if (!ok && !unmapped++) first = path;
    }
    if (disallowed) {
        const char *policy =
            pf_json_str(constraints, "on_disallowed") ? pf_json_str(constraints, "on_disallowed") : "nearest";
        char *msg = pf_asprintf("%zu part%s %s a material the output type does not allow, first %s", disallowed,
                                disallowed == 1 ? "" : "s", disallowed == 1 ? "has" : "have", first_disallowed);
        if (strcmp(policy, "fail") == 0)
            pf_errors_add(errs, PF_EINVAL, "/output_type/material_constraints/allowed_materials",
                          "%s: on_disallowed is fail", msg);
        else {
            char *full = pf_asprintf("%s: the run re-maps %s to %s", msg, disallowed == 1 ? "it" : "them",
                                     strcmp(policy, "default") == 0 ? "the constraint's default material"
                                                                    : "the nearest allowed material");
            warn(warnings, "/output_type/material_constraints/allowed_materials", full);
            free(full);
        }
        free(msg);
    }
    if (unmapped) {
        char *msg =
            pf_asprintf("%zu part%s would have no material, first %s", unmapped, unmapped == 1 ? "" : "s", first);
        if (json_is_true(json_object_get(constraints, "require_complete")))
            pf_errors_add(errs, PF_EINVAL, "/output_type/material_constraints/require_complete", "%s", msg);
        else
            warn(warnings, "/intake/material_map", msg);
        free(msg);
    }
    json_decref(objects);
    json_decref(map);
    json_decref(library);
}

static void check_template(const pf_catalog *c, const json_t *line, pf_errors *errs) {
    const json_t *type = json_object_get(line, "output_type");
    const char *explicit_key = json_string_value(setting(line, "template", "template"));
    pf_template_set set;
    pf_templates_load(c->share_dir, c->data_dir, &set);
    json_t *chosen = NULL;
    pf_error *err = pf_template_resolve(&set, explicit_key, pf_json_str(json_object_get(line, "product"), "category"),
                                        pf_json_str(type, "artifact_kind"), &chosen);
    if (err) {
        pf_errors_add(errs, PF_EINVAL, "/output_type/overrides/template", "no render template: %s", err->message);
        pf_error_free(err);
    }
    json_decref(chosen);
    pf_template_set_free(&set);
}

/* One preflight: the line, where its problems and warnings go, and the
 * output type's own validation problems (under /output_type), which the
 * checks that own their pointers take and the rest are reported anyway. */
typedef struct {
    const pf_catalog *c;
    const json_t *line, *type;
    pf_errors *errs;
    json_t *warnings;
    pf_errors validation;
    bool *taken;
} preflight;

/* The validation problems at or below any of the prefixes. */
static void take_validation(preflight *p, const char *const *prefixes) {
    for (size_t i = 0; i < p->validation.len; i++) {
        const char *ptr = p->validation.items[i].pointer;
        for (size_t k = 0; prefixes[k] && !p->taken[i]; k++) {
            size_t n = strlen(prefixes[k]);
            if (strncmp(ptr, prefixes[k], n) != 0 || (ptr[n] && ptr[n] != '/')) continue;
            p->taken[i] = true;
            pf_errors_add(p->errs, p->validation.items[i].code, ptr, "%s", p->validation.items[i].message);
        }
    }
}

static void run_intake(preflight *p) { check_intake(p->line, p->errs); }
static void run_materials(preflight *p) { check_materials(p->c, p->line, p->errs, p->warnings); }
static void run_template(preflight *p) { check_template(p->c, p->line, p->errs); }

static void run_workflow_valid(preflight *p) {
    static const char *const owned[] = {"/output_type/workflow", "/output_type/rollout", "/output_type/family", NULL};
    take_validation(p, owned);
}

static void run_kind_delivered(preflight *p) {
    static const char *const owned[] = {"/output_type/artifact_kind", NULL};
    take_validation(p, owned);
}

static void run_overrides_fit(preflight *p) {
    static const char *const owned[] = {"/output_type/overrides", NULL};
    take_validation(p, owned);
    const char *rollout = pf_json_str(p->type, "rollout");
    if (json_object_size(json_object_get(p->line, "overrides")) && rollout && strcmp(rollout, "graph") != 0)
        pf_errors_add(p->errs, PF_EINVAL, "/overrides",
                      "output type %s runs the legacy pipeline, which takes no per-line overrides",
                      pf_json_str(p->type, "key"));
}

static void run_legacy_adapts(preflight *p) {
    static const char *const owned[] = {"/output_type/legacy_render_settings", NULL};
    take_validation(p, owned);
    const char *rollout = pf_json_str(p->type, "rollout");
    if (rollout && strcmp(rollout, "graph") != 0 &&
        json_is_object(json_object_get(p->type, "legacy_render_settings"))) {
        pf_errors ignored;
        pf_errors_init(&ignored);
        pf_compat_result r;
        if (pf_compat_map(json_object_get(p->type, "legacy_render_settings"), "/output_type/legacy_render_settings",
                          &ignored, &r) == 0) {
            size_t i;
            const json_t *w;
            json_array_foreach(r.warnings, i, w)
                warn(p->warnings, pf_json_str(w, "pointer"), pf_json_str(w, "message"));
            pf_compat_result_free(&r);
        }
        pf_errors_clear(&ignored);
    }
    if (rollout && strcmp(rollout, "shadow") == 0)
        warn(p->warnings, "/output_type/rollout",
             "shadow rollout: the legacy pipeline delivers, the workflow runs beside "
             "it for a parity report");
}

/* The product's CAD file is there, inside the data root, and is STEP (the
 * ISO 10303-21 header). Messages name the upload, never a server path. */
static void run_step_file(preflight *p) {
    const json_t *product = json_object_get(p->line, "product"), *cad = json_object_get(p->line, "cad_file");
    if (!json_is_object(product)) {
        pf_errors_add(p->errs, PF_EINVAL, "/product", "the line's product %s no longer exists",
                      pf_json_str(p->line, "product"));
        return;
    }
    const char *cad_id = pf_json_str(product, "cad_file");
    if (!cad_id) {
        pf_errors_add(p->errs, PF_EINVAL, "/product/cad_file", "product %s has no CAD file: upload one first",
                      pf_json_str(product, "id"));
        return;
    }
    const char *rel = pf_json_str(cad, "path");
    const char *name = pf_json_str(cad, "filename") ? pf_json_str(cad, "filename") : cad_id;
    if (!json_is_object(cad) || !rel) {
        pf_errors_add(p->errs, PF_EINVAL, "/product/cad_file", "CAD file %s of product %s no longer exists", cad_id,
                      pf_json_str(product, "id"));
        return;
    }
    char *abs = NULL;
    pf_error *err = pf_path_confine(p->c->data_dir, rel, strlen(rel), "/cad_file/path", &abs);
    if (err) {
        pf_errors_add(p->errs, PF_EINVAL, "/cad_file/path", "the STEP file of %s is not inside the data root", name);
        pf_error_free(err);
        return;
    }
    FILE *f = fopen(abs, "rb");
    free(abs);
    if (!f) {
        pf_errors_add(p->errs, PF_EINVAL, "/cad_file/path", "the STEP file of %s is missing: upload it again", name);
        return;
    }
    char head[64] = {0};
    size_t n = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    const char *h = head;
    if (n >= 3 && memcmp(h, "\xEF\xBB\xBF", 3) == 0) h += 3;
    while (*h == ' ' || *h == '\t' || *h == '\r' || *h == '\n')
        h++;
    if (strncmp(h, "ISO-10303-21", 12) != 0)
        pf_errors_add(p->errs, PF_EINVAL, "/cad_file/path", "%s is not a STEP file: it lacks the ISO-10303-21 header",
                      name);
}

/* The linked workflow hands the artifact the output type delivers to an
 * output.publish_asset node: that is how a family without a fixed
 * delivery (cad_file) delivers the line's deliverable. */
static void run_workflow_publishes(preflight *p) {
    json_t *wf = NULL;
    pf_error *err = pf_output_type_workflow(p->c, p->type, &wf);
    pf_error_free(err);
    if (!wf) return; /* no link or a broken one: the validation says so */
    const char *kind = pf_json_str(p->type, "artifact_kind"), *from = NULL;
    const char *role;
    const json_t *spec;
    json_object_foreach(json_object_get(json_object_get(wf, "invocation"), "artifacts"), role, spec) {
        if (kind && pf_json_str(spec, "kind") && strcmp(pf_json_str(spec, "kind"), kind) == 0)
            from = pf_json_str(spec, "from");
    }
    bool published = false;
    if (from && strchr(from, '.')) {
        size_t node_len = (size_t)(strchr(from, '.') - from);
        size_t i, k;
        const json_t *edge, *node;
        json_array_foreach(json_object_get(wf, "edges"), i, edge) {
            const json_t *src = json_object_get(edge, "from"), *dst = json_object_get(edge, "to");
            const char *sn = pf_json_str(src, "node"), *sp = pf_json_str(src, "port"), *dn = pf_json_str(dst, "node");
            if (!sn || !sp || !dn || strlen(sn) != node_len || strncmp(sn, from, node_len) != 0 ||
                strcmp(sp, from + node_len + 1) != 0)
                continue;
            json_array_foreach(json_object_get(wf, "nodes"), k, node) {
                if (pf_json_str(node, "id") && strcmp(pf_json_str(node, "id"), dn) == 0 && pf_json_str(node, "step") &&
                    strcmp(pf_json_str(node, "step"), "output.publish_asset") == 0)
                    published = true;
            }
        }
    }
    if (from && !published)
        pf_errors_add(p->errs, PF_EINVAL, "/output_type/workflow",
                      "workflow %s does not publish its %s (%s): add an output.publish_asset node that takes it",
                      pf_json_str(wf, "id"), kind, from);
    json_decref(wf);
}

static const struct {
    const char *id;
    void (*run)(preflight *);
} checks[] = {
    {"intake.finished", run_intake},
    {"materials.complete", run_materials},
    {"template.resolves", run_template},
    {"workflow.valid", run_workflow_valid},
    {"artifact_kind.delivered", run_kind_delivered},
    {"overrides.fit", run_overrides_fit},
    {"legacy.adapts", run_legacy_adapts},
    {"cad.step_file", run_step_file},
    {"workflow.publishes", run_workflow_publishes},
};

bool pf_preflight_check_known(const char *id) {
    for (size_t i = 0; id && i < sizeof checks / sizeof *checks; i++)
        if (strcmp(checks[i].id, id) == 0) return true;
    return false;
}

size_t pf_order_line_preflight(const pf_catalog *c, const json_t *line, pf_errors *errs, json_t *warnings) {
    size_t before = errs->len;
    const json_t *type = json_object_get(line, "output_type");
    if (!json_is_object(type)) {
        check_intake(line, errs);
        pf_errors_add(errs, PF_EINVAL, "/output_type", "the line's output type %s no longer exists",
                      pf_json_str(line, "output_type"));
        return errs->len - before;
    }
    preflight p = {.c = c, .line = line, .type = type, .errs = errs, .warnings = warnings};
    /* The output type as it stands now: workflow, family, kind, overrides
     * and legacy settings. Its problems go out through the checks that
     * own them, the rest after them. */
    pf_errors_init(&p.validation);
    pf_output_type_validate(c, type, NULL, "/output_type", &p.validation, NULL);
    p.taken = pf_xcalloc(p.validation.len + 1, sizeof *p.taken);
    const char *family_key = pf_json_str(type, "family") ? pf_json_str(type, "family") : "order_line";
    const pf_family *family = pf_contract_family(&c->registry->contract, family_key);
    size_t i;
    const json_t *check;
    json_array_foreach(family ? family->preflight : NULL, i, check) {
        const char *id = pf_json_str(check, "id");
        size_t k = 0;
        while (k < sizeof checks / sizeof *checks && strcmp(checks[k].id, id) != 0)
            k++;
        if (k < sizeof checks / sizeof *checks)
            checks[k].run(&p);
        else
            pf_errors_add(errs, PF_EINTERNAL, "/output_type/family",
                          "the %s family declares preflight check %s, which this server does not know", family_key, id);
    }
    for (size_t k = 0; k < p.validation.len; k++)
        if (!p.taken[k])
            pf_errors_add(errs, p.validation.items[k].code, p.validation.items[k].pointer, "%s",
                          p.validation.items[k].message);
    free(p.taken);
    pf_errors_clear(&p.validation);
    return errs->len - before;
}
