/* CAD files: the streamed STEP upload (the server has written the body to
 * a temporary file and hashed it; see api/upload.h), and the list and the
 * detail with the intake's progress and results. */
#include "api/router.h"
#include "api/upload.h"

#include "cad/step_sniff.h"
#include "catalog/cad_file.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

static pf_cad_env env_of(const pf_app *app) {
    return (pf_cad_env){app->store, app->runtime, app->starters, app->data_dir};
}

static void fail(pf_response *res, const pf_request *req, int status, const char *pointer, const char *msg) {
    pf_errors errs;
    pf_errors_init(&errs);
    pf_errors_add(&errs, status == 500 ? PF_EINTERNAL : PF_EINVAL, pointer, "%s", msg);
    pf_respond_problem(res, status, NULL, msg, req->path, &errs);
    pf_errors_clear(&errs);
}

/* The client's file name without directories; NULL (and a 422) when it is
 * not a sane name. *out is NULL when none was given. */
static bool file_name(const pf_upload *up, const pf_request *req, pf_response *res, char **out) {
    *out = NULL;
    if (!up->filename) return true;
    const char *name = up->filename;
    for (const char *p = up->filename; *p; p++)
        if (*p == '/' || *p == '\\') name = p + 1;
    const char *pointer = up->multipart ? "/file/filename" : "/query/filename";
    json_t *probe = json_string(name); /* NULL unless valid UTF-8 */
    bool ok = probe && *name && strlen(name) <= 255 && strcmp(name, ".") && strcmp(name, "..");
    for (const char *p = name; ok && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) ok = false;
    json_decref(probe);
    if (!ok) {
        fail(res, req, 422, pointer, "the file name must be 1 to 255 bytes of UTF-8 without control characters");
        return false;
    }
    *out = pf_strdup(name);
    return true;
}

void pf_handle_cad_file_upload(const pf_app *app, const pf_request *req, pf_response *res) {
    const pf_upload *up = req->upload;
    if (!up) {
        fail(res, req, 500, "", "the upload was not streamed to a file");
        return;
    }
    if (up->size == 0) {
        fail(res, req, 422, "/file", "the upload is empty; send a STEP file");
        return;
    }
    /* Refused before anything is kept: no file, no item, no intake. */
    if (!pf_step_sniff(up->head, up->head_len)) {
        fail(res, req, 422, "/file", "the upload is not a STEP file: it does not start with the ISO-10303-21 header");
        return;
    }
    char *name = NULL;
    if (!file_name(up, req, res, &name)) return;
    pf_cad_env env = env_of(app);
    pf_errors errs;
    pf_errors_init(&errs);
    json_t *doc = NULL;
    bool created = false;
    pf_error *err = pf_cad_file_accept(&env, up->path, up->sha256, up->size, name, &errs, &doc, &created);
    if (err && errs.len) {
        pf_respond_problem(res, 422, "The CAD intake cannot start", err->message, req->path, &errs);
    } else if (err) {
        pf_respond_error(res, req, err);
    } else {
        if (created) res->location = pf_asprintf("/api/cad-files/%s", up->sha256);
        pf_respond_json(res, created ? 201 : 200, pf_cad_file_view(&env, doc, true));
    }
    pf_error_free(err);
    pf_errors_clear(&errs);
    json_decref(doc);
    free(name);
}

void pf_handle_cad_file_list(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *list = NULL;
    pf_error *err = pf_store_item_list(app->store, "cad_file", &list);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_cad_env env = env_of(app);
    json_t *out = json_array();
    size_t i;
    json_t *doc;
    json_array_foreach(list, i, doc) json_array_append_new(out, pf_cad_file_view(&env, doc, false));
    json_decref(list);
    pf_respond_json(res, 200, json_pack("{s:o}", "cad_files", out));
}

void pf_handle_cad_file_get(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *doc = NULL;
    pf_error *err = pf_store_item_get(app->store, "cad_file", pf_request_param(req, "id"), &doc);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_cad_env env = env_of(app);
    pf_respond_json(res, 200, pf_cad_file_view(&env, doc, true));
    json_decref(doc);
}
