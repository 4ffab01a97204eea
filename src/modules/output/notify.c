/* output.notify: the contract is in notify.json; the body lands with issue #5. */
#include "modules/module.h"

const pf_module_desc pf_module_output_notify = {
    .key = "output.notify",
    .contract_path = "modules/output/notify.json",
    .execute = NULL,
    .pending_issue = "#5",
};
