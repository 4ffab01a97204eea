/* render.blender_turntable: the contract is in blender_turntable.json; the body lands with issue #4. */
#include "modules/module.h"

const pf_module_desc pf_module_render_blender_turntable = {
    .key = "render.blender_turntable",
    .contract_path = "modules/render/blender_turntable.json",
    .execute = NULL,
    .pending_issue = "#4",
};
