#include "api/items.h"

#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

pf_catalog pf_app_catalog(const pf_app *app) {
    return (pf_catalog){.registry = app->registry,
                        .store = app->store,
                        .starters = app->starters,
                        .share_dir = app->share_dir,
                        .data_dir = app->data_dir};
}

void pf_items_list(const pf_item_type *t, const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *list = NULL;
    pf_error *err = pf_store_item_list(app->store, t->kind, &list);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_respond_json(res, 200, json_pack("{s:o}", t->list, list));
}

void pf_items_get(const pf_item_type *t, const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *doc = NULL;
    pf_error *err = pf_store_item_get(app->store, t->kind, pf_request_param(req, "key"), &doc);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_respond_json(res, 200, doc);
}

/* Validates and writes; op is create or replace. */
static void save(const pf_item_type *t, const pf_app *app, const pf_request *req, pf_response *res, json_t *doc,
                 pf_item_op op) {
    pf_catalog c = pf_app_catalog(app);
    json_t *stored = t->prepare && json_is_object(doc) ? t->prepare(&c, doc) : json_incref(doc);
    pf_errors errs;
    pf_errors_init(&errs);
    if (t->validate(&c, stored, &errs)) {
        char *title = pf_asprintf("Invalid %s", t->title);
        pf_respond_problem(res, 422, title, errs.len == 1 ? errs.items[0].message : "the document has several problems",
                           req->path, &errs);
        free(title);
        pf_errors_clear(&errs);
        json_decref(stored);
        return;
    }
    const char *key = json_string_value(json_object_get(stored, "key"));
    size_t n_refs = 0;
    pf_store_ref *refs = t->refers ? t->refers(&c, stored, &n_refs) : NULL;
    /* A replace that carries the revision it edited is refused when another
     * write came first, rather than losing it. */
    pf_store_item item = {.op = op,
                          .kind = t->kind,
                          .key = key,
                          .doc = stored,
                          .if_revision =
                              op == PF_ITEM_REPLACE ? json_integer_value(json_object_get(doc, "revision")) : 0,
                          .refs = refs,
                          .n_refs = n_refs};
    pf_error *err = pf_store_items_write(app->store, &item, 1);
    free(refs);
    if (err) {
        json_decref(stored);
        /* A referee deleted since validation carries its field's pointer. */
        if (err->code == PF_ECONFLICT && !*err->pointer) {
            pf_error *e = pf_error_new(PF_ECONFLICT, op == PF_ITEM_CREATE ? "/key" : "/revision", "%s", err->message);
            pf_error_free(err);
            err = e;
        }
        pf_respond_error_take(res, req, err);
        return;
    }
    json_t *fresh = NULL;
    pf_error_free(pf_store_item_get(app->store, t->kind, key, &fresh));
    if (op == PF_ITEM_CREATE) res->location = pf_asprintf("%s/%s", t->path, key);
    pf_respond_json(res, op == PF_ITEM_CREATE ? 201 : 200, fresh ? fresh : json_incref(stored));
    json_decref(stored);
}

void pf_items_create(const pf_item_type *t, const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *doc = pf_request_json(req, res);
    if (!doc) return;
    save(t, app, req, res, doc, PF_ITEM_CREATE);
    json_decref(doc);
}

void pf_items_replace(const pf_item_type *t, const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *doc = pf_request_json(req, res);
    if (!doc) return;
    const char *key = pf_request_param(req, "key"), *body_key = json_string_value(json_object_get(doc, "key"));
    if (json_is_object(doc) && !json_object_get(doc, "key")) json_object_set_new(doc, "key", json_string(key));
    if (body_key && strcmp(body_key, key) != 0)
        pf_respond_error_take(
            res, req,
            pf_error_new(PF_EINVAL, "/key", "the body's key \"%s\" differs from the path's \"%s\"", body_key, key));
    else
        save(t, app, req, res, doc, PF_ITEM_REPLACE);
    json_decref(doc);
}

void pf_items_delete(const pf_item_type *t, const pf_app *app, const pf_request *req, pf_response *res) {
    const char *key = pf_request_param(req, "key");
    pf_catalog c = pf_app_catalog(app);
    char *users = t->in_use ? t->in_use(&c, key) : NULL;
    if (users) {
        pf_respond_error_take(res, req,
                              pf_error_new(PF_ECONFLICT, "", "%s \"%s\" is in use by %s", t->title, key, users));
        free(users);
        return;
    }
    pf_store_item item = {
        .op = PF_ITEM_DELETE, .kind = t->kind, .key = key, .refs = t->referrers, .n_refs = t->n_referrers};
    pf_error *err = pf_store_items_write(app->store, &item, 1);
    /* A referrer saved after in_use looked: named the same way. */
    users = err && err->code == PF_ECONFLICT && t->in_use ? t->in_use(&c, key) : NULL;
    if (users) {
        pf_error_free(err);
        err = pf_error_new(PF_ECONFLICT, "", "%s \"%s\" is in use by %s", t->title, key, users);
        free(users);
    }
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_respond_text(res, 204, "application/json", NULL, 0);
}

char *pf_items_referring(pf_store *store, const char *kind, const char *field, const char *value) {
    json_t *list = NULL;
    pf_error_free(pf_store_item_list(store, kind, &list));
    char *out = NULL;
    size_t i;
    const json_t *item;
    json_array_foreach(list, i, item) {
        const json_t *v = json_object_get(item, field);
        bool refers = json_is_string(v) && strcmp(json_string_value(v), value) == 0;
        size_t k;
        const json_t *e;
        json_array_foreach(v, k, e) refers = refers || (json_is_string(e) && strcmp(json_string_value(e), value) == 0);
        if (!refers) continue;
        /* Output types have keys; products have ids, and SKUs people know them by. */
        const char *key = json_string_value(json_object_get(item, "key"));
        if (!key) key = json_string_value(json_object_get(item, "sku"));
        if (!key) key = json_string_value(json_object_get(item, "id"));
        char *next = pf_asprintf("%s%s%s %s", out ? out : "", out ? ", " : "", kind, key ? key : "?");
        free(out);
        out = next;
    }
    json_decref(list);
    return out;
}
