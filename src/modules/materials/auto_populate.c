/* materials.auto_populate: the contract is in auto_populate.json; the body lands with issue #3. */
#include "modules/module.h"

const pf_module_desc pf_module_materials_auto_populate = {
    .key = "materials.auto_populate",
    .contract_path = "modules/materials/auto_populate.json",
    .execute = NULL,
    .pending_issue = "#3",
};
