/* materials.resolve_map: the contract is in resolve_map.json; the body lands with issue #3. */
#include "modules/module.h"

const pf_module_desc pf_module_materials_resolve_map = {
    .key = "materials.resolve_map",
    .contract_path = "modules/materials/resolve_map.json",
    .execute = NULL,
    .pending_issue = "#3",
};
