#include "legacy/pipeline.h"

#include "core/mem.h"
#include "legacy/compat.h"

#include <string.h>

/* What the old renderer read, and where each setting went. The compat
 * adapter maps the same settings to workflow invocations; the parity report
 * of shadow runs checks that both roads lead to the same place. */
typedef struct {
    const char *kind, *step, *node, *port; /* the render step for an artifact kind */
} render_step;

static const render_step renders[] = {
    {"still_image", "render.blender_still", "still", "image"},
    {"turntable_video", "render.blender_turntable", "turntable", "video"},
    {"production_blend", "render.blender_export_blend", "blend", "blend"},
};

static json_t *node(const char *id, const char *step, json_t *params) {
    return json_pack("{s:s, s:s, s:o}", "id", id, "step", step, "params", params ? params : json_object());
}

static json_t *edge(const char *from, const char *out, const char *to, const char *in) {
    return json_pack("{s:{s:s, s:s}, s:{s:s, s:s}}", "from", "node", from, "port", out, "to", "node", to, "port", in);
}

/* The render node's params straight from the settings. */
static json_t *render_params(const json_t *s, const char *kind) {
    json_t *p = json_object();
    if (strcmp(kind, "production_blend") == 0) return p;
    const char *same[] = {"width", "height", "samples"};
    for (size_t i = 0; i < 3; i++)
        if (json_object_get(s, same[i])) json_object_set(p, same[i], json_object_get(s, same[i]));
    /* the engine as the compat adapter maps it: EEVEE renders with Cycles */
    if (json_object_get(s, "engine"))
        json_object_set_new(p, "engine",
                            json_string(pf_compat_is_eevee(json_string_value(json_object_get(s, "engine")))
                                            ? "cycles"
                                            : json_string_value(json_object_get(s, "engine"))));
    if (json_object_get(s, "transparent_bg")) json_object_set(p, "transparent", json_object_get(s, "transparent_bg"));
    const json_t *tt = json_object_get(s, "turntable");
    if (strcmp(kind, "turntable_video") == 0) {
        if (json_object_get(tt, "frames")) json_object_set(p, "frames", json_object_get(tt, "frames"));
        if (json_object_get(tt, "fps")) json_object_set(p, "fps", json_object_get(tt, "fps"));
    }
    return p;
}

json_t *pf_legacy_workflow(const json_t *settings, const char *output_type, const char *base, pf_errors *errs) {
    pf_compat_result checked; /* the same validation as the adapter: bad settings never run */
    if (pf_compat_map(settings, base, errs, &checked) != 0) return NULL;
    const render_step *r = &renders[0];
    for (size_t i = 0; i < sizeof renders / sizeof *renders; i++)
        if (strcmp(renders[i].kind, checked.artifact_kind) == 0) r = &renders[i];
    pf_compat_result_free(&checked);

    const json_t *mo = json_object_get(settings, "material_override");
    const json_t *tmpl = json_object_get(settings, "template");
    json_t *map_params = json_is_string(mo) ? json_pack("{s:O}", "material_override", mo) : NULL;
    json_t *template_params = json_pack("{s:s}", "artifact_kind", r->kind);
    if (json_is_string(tmpl)) json_object_set(template_params, "template", (json_t *)tmpl);
    char *id = pf_asprintf("legacy-%s", output_type);
    char *from = pf_asprintf("%s.%s", r->node, r->port);
    char *role = pf_asprintf("render.%s", strcmp(r->kind, "still_image") == 0       ? "still"
                                          : strcmp(r->kind, "turntable_video") == 0 ? "turntable"
                                                                                    : "blend");
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:i, s:[o, o, o, o, o, o], s:[o, o, o, o, o, o, o, o, o], s:{s:{}, s:{s:{s:s, "
        "s:s}}}}",
        "schema", "prodflow.workflow/v1", "id", id, "name", "Legacy pipeline", "description",
        "The fixed legacy order, built from legacy render settings", "family", "order_line", "version", 1, "nodes",
        node("line", "order.resolve_line", NULL), node("map", "materials.resolve_map", map_params),
        node("template", "render.resolve_template", template_params),
        node(r->node, r->step, render_params(settings, r->kind)), node("publish", "output.publish_asset", NULL),
        node("notify", "output.notify", NULL), "edges", edge("line", "objects", "map", "objects"),
        edge("line", "material_map", "map", "auto_map"), edge("line", "bbox", "template", "bbox"),
        edge("line", "glb", r->node, "glb"), edge("line", "bbox", r->node, "bbox"),
        edge("template", "template", r->node, "template"), edge("map", "material_map", r->node, "material_map"),
        edge(r->node, r->port, "publish", "artifact"), edge("publish", "asset", "notify", "asset"), "invocation",
        "params", "artifacts", role, "kind", r->kind, "from", from);
    free(role);
    free(from);
    free(id);
    return doc;
}
