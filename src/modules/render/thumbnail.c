/* render.thumbnail: the contract is in thumbnail.json; the body lands with issue #4. */
#include "modules/module.h"

const pf_module_desc pf_module_render_thumbnail = {
    .key = "render.thumbnail",
    .contract_path = "modules/render/thumbnail.json",
    .execute = NULL,
    .pending_issue = "#4",
};
