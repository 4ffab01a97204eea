/* cad.extract_objects: the contract is in extract_objects.json; the body lands with issue #3. */
#include "modules/module.h"

const pf_module_desc pf_module_cad_extract_objects = {
    .key = "cad.extract_objects",
    .contract_path = "modules/cad/extract_objects.json",
    .execute = NULL,
    .pending_issue = "#3",
};
