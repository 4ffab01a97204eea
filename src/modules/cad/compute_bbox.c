/* cad.compute_bbox: a tight box from the triangulation, in metres (or
 * millimetres), with the centre, size and diagonal renders frame with. */
#include "modules/module.h"

#include "modules/cad/cad_document.h"
#include "modules/module_files.h"

#include <math.h>
#include <string.h>

static json_t *triple(const double v[3]) { return json_pack("[f, f, f]", v[0], v[1], v[2]); }

static pf_error *execute(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    pf_cad_doc *doc = NULL;
    pf_error *err = pf_cad_open_meshed(ctx, inputs, params, &doc);
    if (err) return err;
    pf_cad_box box;
    pf_cad_status st = pf_cad_bbox(doc, &box);
    pf_cad_close(doc);
    if (st != PF_CAD_OK) return pf_cad_error(st, "/inputs/step");
    const char *units = json_string_value(json_object_get(params, "units"));
    double scale = units && strcmp(units, "mm") == 0 ? 1000.0 : 1.0;
    double min[3], max[3], centre[3], size[3];
    for (int i = 0; i < 3; i++) {
        min[i] = box.min[i] * scale;
        max[i] = box.max[i] * scale;
        centre[i] = (min[i] + max[i]) / 2;
        size[i] = max[i] - min[i];
    }
    double diagonal = sqrt(size[0] * size[0] + size[1] * size[1] + size[2] * size[2]);
    json_t *doc_json = json_pack("{s:o, s:o, s:o, s:o, s:f, s:s, s:s, s:f}", "min", triple(min), "max", triple(max),
                                 "centre", triple(centre), "size", triple(size), "diagonal", diagonal, "units",
                                 scale == 1.0 ? "m" : "mm", "up_axis", "z", "linear_deflection_mm",
                                 json_number_value(json_object_get(params, "linear_deflection")));
    json_t *value = NULL;
    err = pf_module_write_json(ctx, "bbox.json", doc_json, &value);
    if (!err) {
        json_object_set(value, "bbox", doc_json);
        *outputs = json_pack("{s:o}", "bbox", value);
    }
    json_decref(doc_json);
    return err;
}

PF_MODULE(cad, compute_bbox, .execute = execute);
