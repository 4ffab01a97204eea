/* output.publish_asset: the contract is in publish_asset.json; the body lands with issue #5. */
#include "modules/module.h"

const pf_module_desc pf_module_output_publish_asset = {
    .key = "output.publish_asset",
    .contract_path = "modules/output/publish_asset.json",
    .execute = NULL,
    .pending_issue = "#5",
};
