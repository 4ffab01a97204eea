/* render.resolve_template: the contract is in resolve_template.json; the body lands with issue #4. */
#include "modules/module.h"

const pf_module_desc pf_module_render_resolve_template = {
    .key = "render.resolve_template",
    .contract_path = "modules/render/resolve_template.json",
    .execute = NULL,
    .pending_issue = "#4",
};
