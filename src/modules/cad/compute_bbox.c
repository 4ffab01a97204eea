/* cad.compute_bbox: the contract is in compute_bbox.json; the body lands with issue #3. */
#include "modules/module.h"

const pf_module_desc pf_module_cad_compute_bbox = {
    .key = "cad.compute_bbox",
    .contract_path = "modules/cad/compute_bbox.json",
    .execute = NULL,
    .pending_issue = "#3",
};
