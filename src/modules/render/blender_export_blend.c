/* render.blender_export_blend: the contract is in blender_export_blend.json; the body lands with issue #4. */
#include "modules/module.h"

const pf_module_desc pf_module_render_blender_export_blend = {
    .key = "render.blender_export_blend",
    .contract_path = "modules/render/blender_export_blend.json",
    .execute = NULL,
    .pending_issue = "#4",
};
