/* Workflow definitions: validate, starters, and versioned CRUD. */
#include "api/router.h"

#include "core/json.h"
#include "core/mem.h"
#include "workflow/workflow.h"

#include <stdlib.h>
#include <string.h>

void pf_handle_workflow_validate(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *doc = pf_request_json(req, res);
    if (!doc) return;
    pf_errors errs;
    pf_errors_init(&errs);
    pf_workflow_validate(app->registry, doc, &errs);
    json_t *out = json_pack("{s:b, s:o}", "valid", errs.len == 0, "errors", pf_errors_to_json(&errs));
    if (errs.len == 0) {
        json_t *canonical = pf_workflow_canonicalize(app->registry, doc);
        json_object_set_new(out, "canonical", canonical);
    }
    pf_errors_clear(&errs);
    json_decref(doc);
    pf_respond_json(res, 200, out);
}

void pf_handle_workflow_starters(const pf_app *app, const pf_request *req, pf_response *res) {
    const char *family;
    if (!pf_check_family_query(app, req, res, &family)) return;
    json_t *list = json_array();
    size_t i;
    json_t *doc;
    json_array_foreach(app->starters, i, doc) {
        const char *f = json_string_value(json_object_get(doc, "family"));
        if (!family || (f && strcmp(f, family) == 0)) json_array_append(list, doc);
    }
    pf_respond_json(res, 200, json_pack("{s:o}", "starters", list));
}

void pf_handle_workflow_list(const pf_app *app, const pf_request *req, pf_response *res) {
    const char *family;
    if (!pf_check_family_query(app, req, res, &family)) return;
    json_t *list = NULL;
    pf_error *err = pf_store_workflow_list(app->store, family, &list);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_respond_json(res, 200, json_pack("{s:o}", "workflows", list));
}

/* Validates, canonicalises and saves; responds with the stored version. */
static void save(const pf_app *app, const pf_request *req, pf_response *res, json_t *doc, int expected, bool create) {
    pf_errors errs;
    pf_errors_init(&errs);
    if (pf_workflow_validate(app->registry, doc, &errs)) {
        pf_respond_problem(res, 422, "Invalid workflow",
                           errs.len == 1 ? errs.items[0].message : "the workflow has several problems", req->path,
                           &errs);
        pf_errors_clear(&errs);
        return;
    }
    json_t *canonical = pf_workflow_canonicalize(app->registry, doc);
    json_t *stored = NULL;
    pf_error *err = pf_store_workflow_save(app->store, canonical, expected, create, &stored);
    json_decref(canonical);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    if (create) res->location = pf_asprintf("/api/workflows/%s", json_string_value(json_object_get(stored, "id")));
    pf_respond_json(res, create ? 201 : 200, stored);
}

void pf_handle_workflow_create(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *doc = pf_request_json(req, res);
    if (!doc) return;
    save(app, req, res, doc, 0, true);
    json_decref(doc);
}

/* PUT saves a new version. A non-zero "version" in the body is the version
 * the client edited, so a concurrent save is refused rather than lost. */
void pf_handle_workflow_update(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *doc = pf_request_json(req, res);
    if (!doc) return;
    const char *id = pf_request_param(req, "id");
    const char *body_id = json_string_value(json_object_get(doc, "id"));
    if (json_is_object(doc) && !json_object_get(doc, "id")) json_object_set_new(doc, "id", json_string(id));
    if (body_id && strcmp(body_id, id) != 0) {
        pf_error *err =
            pf_error_new(PF_EINVAL, "/id", "the body's id \"%s\" differs from the path's \"%s\"", body_id, id);
        pf_respond_error_take(res, req, err);
    } else {
        json_t *v = json_object_get(doc, "version");
        save(app, req, res, doc, json_is_integer(v) ? (int)json_integer_value(v) : 0, false);
    }
    json_decref(doc);
}

void pf_handle_workflow_get(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *doc = NULL;
    pf_error *err = pf_store_workflow_get(app->store, pf_request_param(req, "id"), 0, &doc);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_respond_json(res, 200, doc);
}

/* The output types linked to workflow id: "output type a, output type b",
 * or NULL for none. Caller frees. */
static char *linked_output_types(pf_store *store, const char *id) {
    json_t *list = NULL;
    pf_error *err = pf_store_item_list(store, "output_type", &list);
    if (err) {
        char *out = pf_asprintf("output types that could not be checked (%s)", err->message);
        pf_error_free(err);
        return out;
    }
    char *out = NULL;
    size_t i;
    const json_t *type;
    json_array_foreach(list, i, type) {
        const char *linked = json_string_value(json_object_get(json_object_get(type, "workflow"), "id"));
        if (!linked || strcmp(linked, id) != 0) continue;
        char *next = pf_asprintf("%s%soutput type %s", out ? out : "", out ? ", " : "", pf_json_str(type, "key"));
        free(out);
        out = next;
    }
    json_decref(list);
    return out;
}

/* The refusal naming users (freed here). */
static pf_error *in_use(const char *id, char *users) {
    pf_error *err = pf_error_new(PF_ECONFLICT, "",
                                 "workflow \"%s\" is in use: %s %s linked to it; link %s to another workflow first", id,
                                 users, strchr(users, ',') ? "are" : "is", strchr(users, ',') ? "them" : "it");
    free(users);
    return err;
}

void pf_handle_workflow_delete(const pf_app *app, const pf_request *req, pf_response *res) {
    const char *id = pf_request_param(req, "id");
    char *users = linked_output_types(app->store, id);
    if (users) {
        pf_respond_error_take(res, req, in_use(id, users));
        return;
    }
    /* Checked again in the delete's transaction: an output type linked
     * after the look above still refuses it, named the same way. */
    static const pf_store_ref linked = {.kind = "output_type", .field = "workflow.id"};
    pf_error *err = pf_store_workflow_delete_unreferred(app->store, id, &linked, 1);
    users = err && err->code == PF_ECONFLICT ? linked_output_types(app->store, id) : NULL;
    if (users) {
        pf_error_free(err);
        err = in_use(id, users);
    }
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_respond_text(res, 204, "application/json", NULL, 0);
}

void pf_handle_workflow_versions(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *list = NULL;
    const char *id = pf_request_param(req, "id");
    pf_error *err = pf_store_workflow_versions(app->store, id, &list);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_respond_json(res, 200, json_pack("{s:s, s:o}", "id", id, "versions", list));
}

void pf_handle_workflow_version(const pf_app *app, const pf_request *req, pf_response *res) {
    const char *v = pf_request_param(req, "version");
    char *end;
    long version = strtol(v, &end, 10);
    if (*end || version < 1 || version > 1000000000) {
        /* A malformed path parameter is a bad request (400), as a bad query
         * parameter is; 422 is for a body that parses but is invalid. */
        pf_error *err = pf_error_new(PF_EINVAL, "/path/version", "version \"%s\" is not a positive integer", v);
        pf_respond_problem(res, 400, NULL, err->message, req->path, &(pf_errors){err, 1, 1});
        pf_error_free(err);
        return;
    }
    json_t *doc = NULL;
    pf_error *err = pf_store_workflow_get(app->store, pf_request_param(req, "id"), (int)version, &doc);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_respond_json(res, 200, doc);
}
