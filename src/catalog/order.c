#include "catalog/order.h"
#include "core/json.h"

#include "catalog/cad_file.h"
#include "catalog/output_type.h"
#include "core/clock.h"
#include "core/id.h"
#include "core/mem.h"
#include "core/regex.h"
#include "runtime/params.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool only_fields(const json_t *doc, const char *const *allowed, size_t n, const char *base, pf_errors *errs) {
    bool ok = true;
    const char *field;
    const json_t *v;
    json_object_foreach((json_t *)doc, field, v) {
        bool known = false;
        for (size_t i = 0; i < n && !known; i++)
            known = strcmp(field, allowed[i]) == 0;
        if (known) continue;
        char *ptr = pf_ptr_join(base, field);
        pf_errors_add(errs, PF_EINVAL, ptr, "unknown field \"%s\"", field);
        free(ptr);
        ok = false;
    }
    return ok;
}

static bool categories_allow(const json_t *output_type, const char *category) {
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(output_type, "categories"), i, v) {
        const char *c = json_string_value(v);
        if (c && (strcmp(c, "*") == 0 || (category && strcmp(c, category) == 0))) return true;
    }
    return false;
}

/* One line: its references, quantity, overrides and price. *priced gets
 * the line as it will be stored (without ids). *pattern_budget is the
 * whole order's (params.h). */
static void check_line(const pf_catalog *c, const json_t *line, const char *base, pf_errors *errs, json_t **priced,
                       long *pattern_budget) {
    *priced = NULL;
    if (!json_is_object(line)) {
        pf_errors_add(errs, PF_EINVAL, base, "an order line is an object {product, output_type, quantity, overrides}");
        return;
    }
    static const char *const allowed[] = {"product", "output_type", "quantity", "overrides"};
    only_fields(line, allowed, 4, base, errs);
    char *p_product = pf_ptr_join(base, "product"), *p_type = pf_ptr_join(base, "output_type");
    char *p_qty = pf_ptr_join(base, "quantity"), *p_over = pf_ptr_join(base, "overrides");
    json_t *product = NULL, *type = NULL, *tier = NULL;
    if (pf_catalog_need(line, "product", "an order line", base, errs)) {
        pf_error *err = pf_store_item_get(c->store, "product", pf_json_str(line, "product"), &product);
        if (err)
            pf_errors_add(errs, PF_EINVAL, p_product, "product \"%s\" does not exist", pf_json_str(line, "product"));
        pf_error_free(err);
    }
    if (pf_catalog_need(line, "output_type", "an order line", base, errs)) {
        pf_error *err = pf_store_item_get(c->store, "output_type", pf_json_str(line, "output_type"), &type);
        if (err)
            pf_errors_add(errs, PF_EINVAL, p_type, "output type \"%s\" does not exist",
                          pf_json_str(line, "output_type"));
        pf_error_free(err);
    }
    if (type && strcmp(pf_json_str(type, "visibility") ? pf_json_str(type, "visibility") : "public", "public") != 0)
        pf_errors_add(errs, PF_EINVAL, p_type, "output type %s is %s: only public output types can be ordered",
                      pf_json_str(type, "key"), pf_json_str(type, "visibility"));
    if (type && product && !categories_allow(type, pf_json_str(product, "category")))
        pf_errors_add(errs, PF_EINVAL, p_type, "output type %s is not offered for the %s category of product %s",
                      pf_json_str(type, "key"), pf_json_str(product, "category"), pf_json_str(product, "id"));
    const json_t *qty = json_object_get(line, "quantity");
    if (qty && (!json_is_integer(qty) || json_integer_value(qty) < 1 || json_integer_value(qty) > 10000))
        pf_errors_add(errs, PF_EINVAL, p_qty, "a quantity is an integer from 1 to 10000");
    const json_t *overrides = json_object_get(line, "overrides");
    if (overrides && !json_is_object(overrides))
        pf_errors_add(errs, PF_EINVAL, p_over, "overrides are an object of invocation parameters");
    if (type && json_object_size(overrides)) {
        const char *rollout = pf_json_str(type, "rollout");
        if (!rollout || strcmp(rollout, "graph") != 0) {
            pf_errors_add(errs, PF_EINVAL, p_over,
                          "output type %s runs the legacy pipeline, which takes no per-line overrides",
                          pf_json_str(type, "key"));
        } else {
            json_t *wf = NULL;
            pf_error *err = pf_output_type_workflow(c, type, &wf);
            if (wf) pf_params_check_overrides(wf, overrides, p_over, errs, pattern_budget);
            pf_error_free(err);
            json_decref(wf);
        }
    }
    double unit = 0;
    const char *currency = NULL;
    if (type) {
        pf_error *err = pf_store_item_get(c->store, "pricing_tier", pf_json_str(type, "pricing_tier"), &tier);
        const json_t *price = json_object_get(json_object_get(tier, "prices"), pf_json_str(type, "artifact_kind"));
        if (err || !json_is_number(price))
            pf_errors_add(errs, PF_EINVAL, p_type, "output type %s has no price: its tier %s prices no %s",
                          pf_json_str(type, "key"), pf_json_str(type, "pricing_tier"),
                          pf_json_str(type, "artifact_kind"));
        else
            unit = json_number_value(price), currency = pf_json_str(tier, "currency");
        pf_error_free(err);
    }
    if (product && type && currency) {
        json_int_t n = json_is_integer(qty) ? json_integer_value(qty) : 1;
        *priced = json_pack("{s:O, s:O, s:I, s:o, s:f, s:s, s:f}", "product", json_object_get(line, "product"),
                            "output_type", json_object_get(line, "output_type"), "quantity", n, "overrides",
                            overrides ? json_deep_copy(overrides) : json_object(), "unit_price", unit, "currency",
                            currency, "total", round(unit * (double)n * 100) / 100);
    }
    json_decref(product);
    json_decref(type);
    json_decref(tier);
    free(p_product);
    free(p_type);
    free(p_qty);
    free(p_over);
}

pf_error *pf_order_create(const pf_catalog *c, const json_t *body, pf_errors *errs, json_t **order_out) {
    *order_out = NULL;
    size_t before = errs->len;
    if (!json_is_object(body)) {
        pf_errors_add(errs, PF_EINVAL, "", "an order is an object {customer?, reference?, test?, lines}");
        return pf_error_new(PF_EINVAL, "", "the order is not valid");
    }
    static const char *const allowed[] = {"customer", "reference", "test", "lines"};
    only_fields(body, allowed, 4, "", errs);
    const json_t *test = json_object_get(body, "test");
    if (test && !json_is_boolean(test)) pf_errors_add(errs, PF_EINVAL, "/test", "test is true or false");
    const char *text_fields[] = {"customer", "reference"};
    for (size_t i = 0; i < 2; i++) {
        const json_t *v = json_object_get(body, text_fields[i]);
        if (v && !json_is_string(v)) {
            char *ptr = pf_ptr_join("", text_fields[i]);
            pf_errors_add(errs, PF_EINVAL, ptr, "%s is a string", text_fields[i]);
            free(ptr);
        }
    }
    const json_t *lines = json_object_get(body, "lines");
    if (!json_is_array(lines) || !json_array_size(lines))
        pf_errors_add(errs, PF_EINVAL, "/lines", "an order has at least one line");
    json_t *priced = json_array();
    const char *currency = NULL;
    long pattern_budget = PF_REGEX_BUDGET;
    size_t i;
    const json_t *line;
    json_array_foreach(lines, i, line) {
        char *base = pf_asprintf("/lines/%zu", i);
        json_t *p = NULL;
        check_line(c, line, base, errs, &p, &pattern_budget);
        if (p && currency && strcmp(currency, pf_json_str(p, "currency")) != 0)
            pf_errors_add(errs, PF_EINVAL, base,
                          "this line is priced in %s and an earlier one in %s: split the order by currency",
                          pf_json_str(p, "currency"), currency);
        if (p && !currency) currency = pf_json_str(p, "currency");
        if (p) json_array_append_new(priced, p);
        free(base);
    }
    if (errs->len > before) {
        json_decref(priced);
        return pf_error_new(PF_EINVAL, "", "the order has %zu problem%s", errs->len - before,
                            errs->len - before == 1 ? "" : "s");
    }
    char order_id[PF_ID_MAX];
    pf_id_new("ord", order_id);
    size_t n = json_array_size(priced);
    pf_store_item *items = pf_xcalloc(n + 1, sizeof *items);
    /* Each line's product and output type must still exist when the order
     * commits: their deletes check for lines in their own transactions. */
    pf_store_ref *refs = pf_xcalloc(2 * n + 1, sizeof *refs);
    char **at = pf_xcalloc(2 * n + 1, sizeof *at);
    json_t *ids = json_array();
    double total = 0;
    json_array_foreach(priced, i, line) {
        char line_id[PF_ID_MAX];
        pf_id_new("oli", line_id);
        json_object_set_new((json_t *)line, "id", json_string(line_id));
        json_object_set_new((json_t *)line, "key", json_string(line_id));
        json_object_set_new((json_t *)line, "order_id", json_string(order_id));
        json_object_set_new((json_t *)line, "runs", json_array());
        json_array_append_new(ids, json_string(line_id));
        total += json_number_value(json_object_get(line, "total"));
        at[2 * i] = pf_asprintf("lines.%zu.product", i);
        at[2 * i + 1] = pf_asprintf("lines.%zu.output_type", i);
        refs[2 * i] = (pf_store_ref){.kind = "product", .field = at[2 * i], .key = pf_json_str(line, "product")};
        refs[2 * i + 1] =
            (pf_store_ref){.kind = "output_type", .field = at[2 * i + 1], .key = pf_json_str(line, "output_type")};
        items[i] = (pf_store_item){.op = PF_ITEM_CREATE,
                                   .kind = "order_line",
                                   .key = pf_json_str(line, "id"),
                                   .doc = line,
                                   .refs = &refs[2 * i],
                                   .n_refs = 2};
    }
    /* A test order (the editor's trial) is priced like any other, so the
     * trial shows what the line would cost; the flag keeps it out of the
     * default listing and so out of what is counted as sold. */
    json_t *order =
        json_pack("{s:s, s:s, s:O?, s:O?, s:b, s:o, s:f, s:s}", "id", order_id, "key", order_id, "customer",
                  json_object_get(body, "customer"), "reference", json_object_get(body, "reference"), "test",
                  json_is_true(test), "lines", ids, "total", round(total * 100) / 100, "currency", currency);
    items[n] = (pf_store_item){.op = PF_ITEM_CREATE, .kind = "order", .key = order_id, .doc = order};
    pf_error *err = pf_store_items_write(c->store, items, n + 1);
    free(items);
    free(refs);
    for (size_t k = 0; k < 2 * n; k++)
        free(at[k]);
    free(at);
    json_decref(order);
    json_decref(priced);
    if (err) return err;
    return pf_order_get(c, order_id, order_out);
}

/* Whether a dispatch recorded at `at` may still be creating its run: the
 * line's run id is written before the run (handlers_orders.c), so another
 * dispatch, on this server or another, that read the line in between would
 * otherwise take it for a dead one and run the line twice. The run comes
 * milliseconds later, seconds on a starved server (two servers under load
 * in test_two_servers took more than their 2 s lease); one still missing
 * after DISPATCH_GRACE_S was lost with its server, which died between the
 * two writes, and the line may be dispatched again. */
#define DISPATCH_GRACE_S 120
static bool still_dispatching(const char *at) {
    long long since = 0;
    return pf_iso_parse(at, &since) && (long long)time(NULL) - since < DISPATCH_GRACE_S;
}

/* new until dispatched, then its authoritative run's status, named for
 * the customer. A run id without a run reads as in production while its
 * dispatch may still create it, then as failed (its server died). */
static const char *line_status(const pf_catalog *c, const json_t *line, json_t **run_out) {
    const json_t *runs = json_object_get(line, "runs");
    const json_t *last = json_array_get(runs, json_array_size(runs) - 1);
    *run_out = NULL;
    if (!last) return "new";
    pf_error *missing = pf_store_run_get(c->store, pf_json_str(last, "run_id"), false, run_out);
    if (missing) {
        pf_error_free(missing);
        return still_dispatching(pf_json_str(last, "dispatched_at")) ? "in_production" : "failed";
    }
    const char *s = pf_json_str(*run_out, "status");
    if (!s || strcmp(s, "running") == 0) return "in_production";
    if (strcmp(s, "succeeded") == 0) return "delivered";
    return s; /* failed, cancelled */
}

pf_error *pf_order_line_load(const pf_catalog *c, const char *line_id, json_t **line_out) {
    *line_out = NULL;
    json_t *line = NULL, *product = NULL, *type = NULL, *cad = NULL, *run = NULL;
    pf_error *err = pf_store_item_get(c->store, "order_line", line_id, &line);
    if (err) return err;
    json_object_set_new(line, "status", json_string(line_status(c, line, &run)));
    json_decref(run);
    pf_error_free(pf_store_item_get(c->store, "product", pf_json_str(line, "product"), &product));
    pf_error_free(pf_store_item_get(c->store, "output_type", pf_json_str(line, "output_type"), &type));
    json_object_set_new(line, "product", product ? product : json_null());
    json_object_set_new(line, "output_type", type ? type : json_null());
    const char *cad_id = pf_json_str(product, "cad_file");
    if (cad_id) pf_error_free(pf_store_item_get(c->store, "cad_file", cad_id, &cad));
    json_t *intake = json_object();
    const char *intake_run = pf_json_str(cad, "intake_run_id");
    if (intake_run) {
        json_decref(intake);
        intake = pf_cad_file_intake(c->store, intake_run);
        json_t *r = NULL;
        pf_error_free(pf_store_run_get(c->store, intake_run, false, &r));
        json_object_set_new(intake, "run_id", json_string(intake_run));
        json_object_set_new(intake, "status",
                            json_string(r && pf_json_str(r, "status") ? pf_json_str(r, "status") : "missing"));
        json_decref(r);
    }
    json_object_set_new(line, "intake", intake);
    /* The CAD file itself, for families that start from the STEP file
     * (cad_file: its order_context takes /cad_file/path as step_path). */
    json_object_set_new(line, "cad_file",
                        cad ? json_pack("{s:O?, s:O?, s:O?}", "id", json_object_get(cad, "id"), "path",
                                        json_object_get(cad, "path"), "filename", json_object_get(cad, "filename"))
                            : json_null());
    json_decref(cad);
    *line_out = line;
    return NULL;
}

pf_error *pf_order_get(const pf_catalog *c, const char *id, json_t **order_out) {
    *order_out = NULL;
    json_t *order = NULL;
    pf_error *err = pf_store_item_get(c->store, "order", id, &order);
    if (err) return err;
    json_t *lines = json_array();
    size_t i;
    const json_t *line_id;
    json_array_foreach(json_object_get(order, "lines"), i, line_id) {
        json_t *line = NULL, *run = NULL;
        if (pf_store_item_get(c->store, "order_line", json_string_value(line_id), &line)) continue;
        json_object_set_new(line, "status", json_string(line_status(c, line, &run)));
        json_decref(run);
        json_array_append_new(lines, line);
    }
    json_object_set_new(order, "lines", lines);
    /* Orders stored before test orders existed are real ones. */
    if (!json_is_boolean(json_object_get(order, "test"))) json_object_set_new(order, "test", json_false());
    *order_out = order;
    return NULL;
}

/* The output type's overrides with the line's on top, as the runtime
 * applies them, and the workflow and rollout they go to. */
static json_t *invocation(const json_t *line) {
    const json_t *type = json_object_get(line, "output_type");
    json_t *overrides = json_deep_copy(json_object_get(type, "overrides"));
    if (!overrides) overrides = json_object();
    json_object_update(overrides, json_object_get(line, "overrides"));
    return json_pack("{s:O?, s:O?, s:O?, s:o}", "workflow", json_object_get(type, "workflow"), "rollout",
                     json_object_get(type, "rollout"), "artifact_kind", json_object_get(type, "artifact_kind"),
                     "overrides", overrides);
}

json_t *pf_order_line_context(const json_t *line) {
    const json_t *product = json_object_get(line, "product"), *type = json_object_get(line, "output_type");
    json_t *intake = json_deep_copy(json_object_get(line, "intake"));
    json_object_del(intake, "run_id");
    json_object_del(intake, "status");
    json_object_del(intake, "thumbnail");
    json_t *context = json_pack(
        "{s:O, s:O?, s:{s:O?, s:O?, s:O?}, s:O?, s:o, s:O?, s:O?, s:o}", "id", json_object_get(line, "id"), "order_id",
        json_object_get(line, "order_id"), "product", "id", json_object_get(product, "id"), "name",
        json_object_get(product, "name"), "category", json_object_get(product, "category"), "output_type",
        json_object_get(type, "key"), "intake", intake, "overrides", json_object_get(line, "overrides"), "quantity",
        json_object_get(line, "quantity"), "invocation", invocation(line));
    const json_t *cad = json_object_get(line, "cad_file");
    if (json_is_object(cad))
        json_object_set_new(
            context, "cad_file",
            json_pack("{s:O?, s:O?}", "id", json_object_get(cad, "id"), "path", json_object_get(cad, "path")));
    return context;
}

pf_error *pf_order_line_dispatched(const pf_catalog *c, const char *line_id, long long revision, const char *run_id,
                                   const char *shadow_run_id) {
    json_t *line = NULL;
    pf_error *err = pf_store_item_get(c->store, "order_line", line_id, &line);
    if (err) return err;
    char stamp[PF_ISO_LEN];
    pf_iso_now(stamp);
    json_t *runs = json_object_get(line, "runs");
    if (!json_is_array(runs)) json_object_set_new(line, "runs", runs = json_array());
    json_array_append_new(
        runs, json_pack("{s:s, s:s?, s:s}", "run_id", run_id, "shadow_run_id", shadow_run_id, "dispatched_at", stamp));
    pf_store_item item = {
        .op = PF_ITEM_REPLACE, .kind = "order_line", .key = line_id, .doc = line, .if_revision = revision};
    err = pf_store_items_write(c->store, &item, 1);
    json_decref(line);
    return err;
}

/* A compare-and-swap on the line's revision, taken again when another
 * write (another dispatch, perhaps on another server) came in between:
 * only this run's entry goes, never one the other write added. */
pf_error *pf_order_line_forget(const pf_catalog *c, const char *line_id, const char *run_id) {
    for (;;) {
        json_t *line = NULL;
        pf_error *err = pf_store_item_get(c->store, "order_line", line_id, &line);
        if (err) return err;
        json_t *runs = json_object_get(line, "runs");
        for (size_t i = json_array_size(runs); i-- > 0;)
            if (pf_json_str(json_array_get(runs, i), "run_id") &&
                strcmp(pf_json_str(json_array_get(runs, i), "run_id"), run_id) == 0)
                json_array_remove(runs, i);
        pf_store_item item = {.op = PF_ITEM_REPLACE,
                              .kind = "order_line",
                              .key = line_id,
                              .doc = line,
                              .if_revision = json_integer_value(json_object_get(line, "revision"))};
        err = pf_store_items_write(c->store, &item, 1);
        json_decref(line);
        if (!err || err->code != PF_ECONFLICT) return err;
        pf_error_free(err);
    }
}

/* A line's place in its order, from 1; 0 when the order does not list it. */
static size_t line_number(pf_store *store, const char *order_id, const char *line_id) {
    json_t *order = NULL;
    size_t number = 0;
    if (order_id && !pf_store_item_get(store, "order", order_id, &order)) {
        size_t i;
        const json_t *id;
        json_array_foreach(json_object_get(order, "lines"), i,
                           id) if (json_is_string(id) && strcmp(json_string_value(id), line_id) == 0) number = i + 1;
    }
    json_decref(order);
    return number;
}

char *pf_order_lines_using(pf_store *store, const char *field, const char *value) {
    enum { SHOWN = 3 };
    json_t *lines = NULL;
    pf_error *err = pf_store_item_list(store, "order_line", &lines);
    if (err) {
        char *out = pf_asprintf("order lines that could not be checked (%s)", err->message);
        pf_error_free(err);
        return out;
    }
    char *out = NULL;
    size_t found = 0, i;
    const json_t *line;
    json_array_foreach(lines, i, line) {
        const char *v = pf_json_str(line, field);
        if (!v || strcmp(v, value) != 0) continue;
        if (++found > SHOWN) continue;
        const char *order_id = pf_json_str(line, "order_id"), *line_id = pf_json_str(line, "id");
        size_t n = line_number(store, order_id, line_id ? line_id : "");
        char *one =
            n ? pf_asprintf("order %s line %zu", order_id, n) : pf_asprintf("order line %s", line_id ? line_id : "?");
        char *next = pf_asprintf("%s%s%s", out ? out : "", out ? ", " : "", one);
        free(one);
        free(out);
        out = next;
    }
    if (found > SHOWN) {
        char *next = pf_asprintf("%s and %zu more", out, found - SHOWN);
        free(out);
        out = next;
    }
    json_decref(lines);
    return out;
}
