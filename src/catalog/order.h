/* Orders and their lines. An order is an item (kind "order") listing its
 * lines; each line is an item of its own (kind "order_line": product x
 * output type x quantity, optional per-line overrides, and its price from
 * the output type's pricing tier). A line's status follows its runs. */
#ifndef PF_CATALOG_ORDER_H
#define PF_CATALOG_ORDER_H

#include "catalog/catalog.h"

/* Validates body {customer?, reference?, test?, lines: [{product,
 * output_type, quantity?, overrides?}]}, reporting every problem with its
 * pointer, then stores the order and its lines in one write. test: true
 * marks an order placed to try a workflow (the editor's trial), listed
 * only when asked for. *order_out (new reference) is the order with its
 * lines. */
pf_error *pf_order_create(const pf_catalog *c, const json_t *body, pf_errors *errs, json_t **order_out);

/* The order with its lines, each with its status. New reference. */
pf_error *pf_order_get(const pf_catalog *c, const char *id, json_t **order_out);

/* A line as stored plus: status (new, in_production, delivered, failed,
 * cancelled; from its authoritative run), product, output_type (the
 * documents), intake (what the product's CAD intake made, by role, with
 * its run's status) and cad_file ({id, path, filename} of the product's CAD
 * file, path relative to the data root; null without one). New reference. */
pf_error *pf_order_line_load(const pf_catalog *c, const char *line_id, json_t **line_out);

/* Everything that would stop a loaded line from rendering, at once: the
 * problems (blocking) in errs with pointers, the rest in warnings (array of
 * {pointer, message}). The output type must validate; beyond that it runs
 * the checks its family declares (contract/families.json "preflight", by
 * id). Runs no module. Returns the number of problems. */
size_t pf_order_line_preflight(const pf_catalog *c, const json_t *line, pf_errors *errs, json_t *warnings);

/* What a run's entry context carries for a loaded line, so that modules
 * need no store: {id, order_id, product, output_type, intake, overrides,
 * quantity, invocation, cad_file?}. New reference. */
/* Whether preflight knows a family's check id (a unit test holds every id
 * families.json declares to it). */
bool pf_preflight_check_known(const char *id);
json_t *pf_order_line_context(const json_t *line);

/* Records the runs a dispatch is about to start on the line, provided the
 * line is still at revision (the one preflight read): a conflict means
 * another dispatch came first. */
pf_error *pf_order_line_dispatched(const pf_catalog *c, const char *line_id, long long revision, const char *run_id,
                                   const char *shadow_run_id);
/* Takes back a recorded dispatch whose runs did not start. */
pf_error *pf_order_line_forget(const pf_catalog *c, const char *line_id, const char *run_id);

/* The order lines whose field ("product", "output_type") is value, as the
 * people who placed them know them: "order ord_… line 2, order ord_… line
 * 1" (at most a few, then "and N more"); NULL when none. Caller frees. */
char *pf_order_lines_using(pf_store *store, const char *field, const char *value);

#endif
