/* cad.export_glb: the contract is in export_glb.json; the body lands with issue #3. */
#include "modules/module.h"

const pf_module_desc pf_module_cad_export_glb = {
    .key = "cad.export_glb",
    .contract_path = "modules/cad/export_glb.json",
    .execute = NULL,
    .pending_issue = "#3",
};
