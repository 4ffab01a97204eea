#include "catalog/product.h"
#include "catalog/order.h"
#include "core/json.h"

#include "core/id.h"
#include "core/mem.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_CHARS 200
#define SKU_MAX_CHARS 64

/* Fields the server adds to what it shows; a client may send them back. */
static bool read_only(const char *field) {
    return !strcmp(field, "created_at") || !strcmp(field, "updated_at") || !strcmp(field, "revision") ||
           !strcmp(field, "cad_intake");
}

static bool known_field(const char *field) {
    static const char *const fields[] = {"id", "name", "sku", "category", "cad_file"};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (!strcmp(field, fields[i])) return true;
    return read_only(field);
}

/* Ids travel in URLs: letters, digits and _.- , as generated ids are. */
static bool valid_id(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 64 || !isalnum((unsigned char)s[0])) return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i])) return false;
    return true;
}

static bool blank(const char *s) {
    for (; *s; s++)
        if (!isspace((unsigned char)*s)) return false;
    return true;
}

/* A required string with something other than white space in it; NULL
 * (and a problem in errs) when it is not one. */
static const char *text_field(const json_t *doc, const char *field, size_t max, pf_errors *errs) {
    const json_t *v = json_object_get(doc, field);
    const char *s = json_string_value(v);
    if (s && !blank(s) && json_string_length(v) <= max) return s;
    char *ptr = pf_ptr_join("", field);
    if (!v)
        pf_errors_add(errs, PF_EINVAL, ptr, "a product needs a %s", field);
    else if (!s)
        pf_errors_add(errs, PF_EINVAL, ptr, "%s must be a string", field);
    else if (blank(s))
        pf_errors_add(errs, PF_EINVAL, ptr, "%s must not be empty", field);
    else
        pf_errors_add(errs, PF_EINVAL, ptr, "%s is longer than %zu bytes", field, max);
    free(ptr);
    return NULL;
}

/* Adds a problem at pointer unless the item exists; store failures are problems too. */
static void must_exist(pf_store *store, const char *kind, const char *key, const char *pointer, const char *what,
                       pf_errors *errs) {
    json_t *doc = NULL;
    pf_error *err = pf_store_item_get(store, kind, key, &doc);
    if (err && err->code == PF_ENOTFOUND)
        pf_errors_add(errs, PF_ENOTFOUND, pointer, "%s \"%s\" does not exist", what, key);
    else if (err)
        pf_errors_add(errs, err->code, pointer, "%s", err->message);
    pf_error_free(err);
    json_decref(doc);
}

/* The product that holds a SKU, or NULL. Caller frees. */
static char *sku_holder(pf_store *store, const char *sku) {
    json_t *claim = NULL;
    pf_error *err = pf_store_item_get(store, "product_sku", sku, &claim);
    char *holder = !err && pf_json_str(claim, "product") ? pf_strdup(pf_json_str(claim, "product")) : NULL;
    pf_error_free(err);
    json_decref(claim);
    return holder;
}

size_t pf_product_check(pf_store *store, const json_t *doc, const char *self_id, pf_errors *errs) {
    size_t before = errs->len;
    if (!json_is_object(doc)) {
        pf_errors_add(errs, PF_EINVAL, "", "a product is a JSON object");
        return errs->len - before;
    }
    const char *field;
    const json_t *v;
    json_object_foreach((json_t *)doc, field, v) {
        if (known_field(field)) continue;
        char *ptr = pf_ptr_join("", field);
        pf_errors_add(errs, PF_EINVAL, ptr, "unknown field \"%s\"; a product has id, name, sku, category and cad_file",
                      field);
        free(ptr);
    }
    const json_t *id = json_object_get(doc, "id");
    if (id && !json_is_null(id)) {
        const char *s = json_string_value(id);
        if (!s || !valid_id(s))
            pf_errors_add(errs, PF_EINVAL, "/id", "id must be 1 to 64 letters, digits, '_', '.' or '-'");
        else if (self_id && strcmp(s, self_id) != 0)
            pf_errors_add(errs, PF_EINVAL, "/id", "the id \"%s\" differs from the product's id \"%s\"", s, self_id);
        else if (!self_id) {
            json_t *taken = NULL;
            pf_error *err = pf_store_item_get(store, "product", s, &taken);
            if (!err) pf_errors_add(errs, PF_ECONFLICT, "/id", "product \"%s\" already exists", s);
            pf_error_free(err);
            json_decref(taken);
        }
    }
    text_field(doc, "name", NAME_MAX_CHARS, errs);
    const char *sku = text_field(doc, "sku", SKU_MAX_CHARS, errs);
    if (sku && (isspace((unsigned char)sku[0]) || isspace((unsigned char)sku[strlen(sku) - 1])))
        pf_errors_add(errs, PF_EINVAL, "/sku", "sku must not start or end with white space");
    else if (sku) {
        char *holder = sku_holder(store, sku);
        if (holder && (!self_id || strcmp(holder, self_id) != 0))
            pf_errors_add(errs, PF_ECONFLICT, "/sku", "SKU \"%s\" belongs to product \"%s\"", sku, holder);
        free(holder);
    }
    const char *category = text_field(doc, "category", 200, errs);
    if (category) must_exist(store, "category", category, "/category", "category", errs);
    const json_t *cad = json_object_get(doc, "cad_file");
    if (cad && !json_is_null(cad)) {
        if (!json_is_string(cad) || !*json_string_value(cad))
            pf_errors_add(errs, PF_EINVAL, "/cad_file",
                          "cad_file must be the id (sha256) of an uploaded CAD file, or null");
        else
            must_exist(store, "cad_file", json_string_value(cad), "/cad_file", "CAD file", errs);
    }
    return errs->len - before;
}

int pf_product_problem_status(const pf_errors *errs) {
    for (size_t i = 0; i < errs->len; i++)
        if (errs->items[i].code != PF_ECONFLICT) return 422;
    return errs->len ? 409 : 422;
}

static pf_error *problems(const pf_errors *errs, size_t n) {
    return pf_error_new(pf_product_problem_status(errs) == 409 ? PF_ECONFLICT : PF_EINVAL, "",
                        "the product has %zu problem%s", n, n == 1 ? "" : "s");
}

pf_error *pf_product_save(pf_store *store, const json_t *doc, const char *self_id, pf_errors *errs,
                          json_t **stored_out) {
    *stored_out = NULL;
    json_t *old = NULL;
    pf_error *err = self_id ? pf_store_item_get(store, "product", self_id, &old) : NULL;
    if (err) return err;
    size_t n = pf_product_check(store, doc, self_id, errs);
    if (n) {
        json_decref(old);
        return problems(errs, n);
    }
    char fresh[PF_ID_MAX];
    const char *id = self_id ? self_id : pf_json_str(doc, "id");
    if (!id) {
        pf_id_new("prd", fresh);
        id = fresh;
    }
    const char *sku = pf_json_str(doc, "sku"), *old_sku = pf_json_str(old, "sku");
    const json_t *cad = json_object_get(doc, "cad_file");
    json_t *clean =
        json_pack("{s:s, s:s, s:s, s:s, s:O}", "id", id, "name", pf_json_str(doc, "name"), "sku", sku, "category",
                  pf_json_str(doc, "category"), "cad_file", json_is_string(cad) ? cad : json_null());
    json_t *claim = json_pack("{s:s}", "product", id);
    pf_store_item items[3];
    size_t k = 0;
    /* The category must still exist when the product commits: a delete
     * of it between the check above and this write is refused, or this
     * write is (the race's loser is told below). */
    pf_store_ref category = {.kind = "category", .field = "category", .key = pf_json_str(clean, "category")};
    items[k++] = (pf_store_item){.op = self_id ? PF_ITEM_REPLACE : PF_ITEM_CREATE,
                                 .kind = "product",
                                 .key = id,
                                 .doc = clean,
                                 .refs = &category,
                                 .n_refs = category.key ? 1 : 0};
    char *holder = sku_holder(store, sku);
    if (!old_sku || strcmp(old_sku, sku) != 0) {
        char *old_holder = old_sku ? sku_holder(store, old_sku) : NULL;
        if (old_holder && strcmp(old_holder, id) == 0)
            items[k++] = (pf_store_item){.op = PF_ITEM_DELETE, .kind = "product_sku", .key = old_sku, .doc = NULL};
        free(old_holder);
        items[k++] = (pf_store_item){.op = PF_ITEM_CREATE, .kind = "product_sku", .key = sku, .doc = claim};
    } else if (!holder) {
        items[k++] = (pf_store_item){.op = PF_ITEM_CREATE, .kind = "product_sku", .key = sku, .doc = claim};
    }
    free(holder);
    err = pf_store_items_write(store, items, k);
    if (err && (err->code == PF_ECONFLICT || err->code == PF_ENOTFOUND)) {
        /* Another save won a race: say what is taken now, if anything. */
        if ((n = pf_product_check(store, doc, self_id, errs))) {
            pf_error_free(err);
            err = problems(errs, n);
        } else {
            pf_error_free(err);
            err = pf_error_new(PF_ECONFLICT, "", "product \"%s\" changed while it was saved; try again", id);
        }
    }
    if (!err) err = pf_store_item_get(store, "product", id, stored_out);
    json_decref(claim);
    json_decref(clean);
    json_decref(old);
    return err;
}

/* The refusal naming the order lines that use product id (old), or NULL
 * when none does. */
static pf_error *in_use(pf_store *store, const json_t *old, const char *id) {
    char *users = pf_order_lines_using(store, "product", id);
    if (!users) return NULL;
    const char *sku = pf_json_str(old, "sku");
    pf_error *err =
        pf_error_new(PF_ECONFLICT, "", "product \"%s\" is in use: %s %s it; it stays while orders refer to it",
                     sku ? sku : id, users, strchr(users, ',') || strstr(users, " more") ? "use" : "uses");
    free(users);
    return err;
}

pf_error *pf_product_delete(pf_store *store, const char *id) {
    json_t *old = NULL;
    pf_error *err = pf_store_item_get(store, "product", id, &old);
    if (err) return err;
    if ((err = in_use(store, old, id))) {
        json_decref(old);
        return err;
    }
    /* Checked again in the delete's transaction: an order line saved
     * after the look above still refuses it. */
    static const pf_store_ref lines = {.kind = "order_line", .field = "product"};
    pf_store_item items[2] = {{.op = PF_ITEM_DELETE, .kind = "product", .key = id, .refs = &lines, .n_refs = 1}};
    size_t k = 1;
    const char *sku = pf_json_str(old, "sku");
    char *holder = sku ? sku_holder(store, sku) : NULL;
    if (holder && strcmp(holder, id) == 0)
        items[k++] = (pf_store_item){.op = PF_ITEM_DELETE, .kind = "product_sku", .key = sku, .doc = NULL};
    err = pf_store_items_write(store, items, k);
    pf_error *named = err && err->code == PF_ECONFLICT ? in_use(store, old, id) : NULL;
    if (named) {
        pf_error_free(err);
        err = named;
    }
    free(holder);
    json_decref(old);
    return err;
}
