/* order.resolve_line: the contract is in resolve_line.json; the body lands with issue #6. */
#include "modules/module.h"

const pf_module_desc pf_module_order_resolve_line = {
    .key = "order.resolve_line",
    .contract_path = "modules/order/resolve_line.json",
    .execute = NULL,
    .pending_issue = "#6",
};
