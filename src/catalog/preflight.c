/* Preflight of an order line: every reason it would not render, found
 * without running a module. */
#include "catalog/order.h"
#include "core/json.h"

#include "catalog/output_type.h"
#include "core/mem.h"
#include "legacy/compat.h"
#include "modules/materials/library.h"
#include "modules/module_files.h"
#include "render/template.h"

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

size_t pf_order_line_preflight(const pf_catalog *c, const json_t *line, pf_errors *errs, json_t *warnings) {
    size_t before = errs->len;
    check_intake(line, errs);
    const json_t *type = json_object_get(line, "output_type");
    if (!json_is_object(type)) {
        pf_errors_add(errs, PF_EINVAL, "/output_type", "the line's output type %s no longer exists",
                      pf_json_str(line, "output_type"));
        return errs->len - before;
    }
    /* The output type as it stands now: workflow, family, kind, overrides
     * and legacy settings. */
    pf_output_type_validate(c, type, NULL, "/output_type", errs, NULL);
    const char *rollout = pf_json_str(type, "rollout");
    const json_t *overrides = json_object_get(line, "overrides");
    if (json_object_size(overrides) && rollout && strcmp(rollout, "graph") != 0)
        pf_errors_add(errs, PF_EINVAL, "/overrides",
                      "output type %s runs the legacy pipeline, which takes no per-line overrides",
                      pf_json_str(type, "key"));
    if (rollout && strcmp(rollout, "graph") != 0 && json_is_object(json_object_get(type, "legacy_render_settings"))) {
        pf_errors ignored;
        pf_errors_init(&ignored);
        pf_compat_result r;
        if (pf_compat_map(json_object_get(type, "legacy_render_settings"), "/output_type/legacy_render_settings",
                          &ignored, &r) == 0) {
            size_t i;
            const json_t *w;
            json_array_foreach(r.warnings, i, w) warn(warnings, pf_json_str(w, "pointer"), pf_json_str(w, "message"));
            pf_compat_result_free(&r);
        }
        pf_errors_clear(&ignored);
    }
    if (rollout && strcmp(rollout, "shadow") == 0)
        warn(warnings, "/output_type/rollout",
             "shadow rollout: the legacy pipeline delivers, the workflow runs beside "
             "it for a parity report");
    check_materials(c, line, errs, warnings);
    check_template(c, line, errs);
    return errs->len - before;
}
