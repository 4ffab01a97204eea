/* render.blender_still: the contract is in blender_still.json; the body lands with issue #4. */
#include "modules/module.h"

const pf_module_desc pf_module_render_blender_still = {
    .key = "render.blender_still",
    .contract_path = "modules/render/blender_still.json",
    .execute = NULL,
    .pending_issue = "#4",
};
