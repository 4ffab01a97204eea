/* The files the catalog edits: material libraries and render templates.
 * Shipped ones live in share/; an edit writes the data directory's copy,
 * which wins, and deleting it brings the shipped one back. */
#include "api/router.h"

#include "core/embed.h"
#include "core/id.h"
#include "core/json_text.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/sha256.h"
#include "modules/materials/library.h"
#include "render/template.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static void respond_problems(pf_response *res, const pf_request *req, const char *title, pf_errors *errs) {
    pf_respond_problem(res, 422, title, errs->len == 1 ? errs->items[0].message : "the document has several problems",
                       req->path, errs);
}

/* These files have no store row to count writes in: their revision is the
 * digest of their content, so a PUT made from an older read is refused
 * instead of overwriting what someone saved meanwhile. */
static void file_revision(const json_t *doc, char out[65]) {
    json_t *copy = json_deep_copy(doc);
    const char *derived[] = {"revision", "source"};
    for (size_t i = 0; i < 2; i++)
        json_object_del(copy, derived[i]);
    char *text = pf_json_text(copy, true);
    pf_sha256_hex(text, strlen(text), out);
    free(text);
    json_decref(copy);
}

static json_t *with_revision(json_t *doc) {
    char rev[65];
    file_revision(doc, rev);
    json_object_set_new(doc, "revision", json_string(rev));
    return doc;
}

/* The revision a PUT was made from against the file's now; an error at
 * /revision when they differ. Without a current file (current NULL) nothing
 * can be overwritten, so a revision from elsewhere (a copy) is let be.
 * Takes the revision out of doc. */
static pf_error *check_revision(json_t *doc, const json_t *current, const char *what, const char *name) {
    const json_t *given = json_object_get(doc, "revision");
    pf_error *err = NULL;
    if (given && current) {
        char now[65];
        file_revision(current, now);
        if (!json_is_string(given) || strcmp(json_string_value(given), now) != 0)
            err = pf_error_new(PF_ECONFLICT, "/revision",
                               "%s \"%s\" was changed by someone else since it was read; reload it and edit again",
                               what, name);
    }
    json_object_del(doc, "revision");
    return err;
}

/* A PUT compares the revision it was made from with the file's and then
 * writes: two PUTs of one revision must not both pass the comparison before
 * either writes (a lost update). Each kind's changes hold an exclusive
 * flock on DATA/locks/<kind>.lock from reading the current file to
 * writing the new one; flock serialises threads (each opens its own file
 * description) and other processes on the same data directory alike.
 * Returns the descriptor to give to unlock_kind, or -1 with *err. */
static int lock_kind(const pf_app *app, const char *kind, pf_error **err) {
    *err = NULL;
    char *dir = pf_asprintf("%s/locks", app->data_dir), *path = pf_asprintf("%s/%s.lock", dir, kind);
    int fd = -1;
    *err = pf_mkdirs(dir, 0755);
    if (!*err && (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
        *err = pf_error_new(PF_EIO, "", "cannot open the %s lock: %s", kind, strerror(errno));
    while (fd >= 0 && flock(fd, LOCK_EX) != 0) {
        if (errno == EINTR) continue;
        *err = pf_error_new(PF_EIO, "", "cannot lock the %s: %s", kind, strerror(errno));
        close(fd);
        fd = -1;
    }
    free(path);
    free(dir);
    return fd;
}

static void unlock_kind(int fd) {
    if (fd < 0) return;
    flock(fd, LOCK_UN);
    close(fd);
}

/* The schema a PUT is validated with, served as embedded (the editor offers
 * its allowed values). */
static void respond_schema(pf_response *res, const char *path) {
    const pf_embedded_file *f = pf_embed_find(path);
    pf_respond_static(res, 200, "application/json", f->data, f->size);
}

void pf_handle_material_library_schema(const pf_app *app, const pf_request *req, pf_response *res) {
    (void)app, (void)req;
    respond_schema(res, "modules/materials/material_library.schema.json");
}

void pf_handle_template_schema(const pf_app *app, const pf_request *req, pf_response *res) {
    (void)app, (void)req;
    respond_schema(res, "render/render_template.schema.json");
}

void pf_handle_material_library_list(const pf_app *app, const pf_request *req, pf_response *res) {
    (void)req;
    pf_respond_json(res, 200,
                    json_pack("{s:o}", "material_libraries", pf_material_libraries(app->share_dir, app->data_dir)));
}

void pf_handle_material_library_get(const pf_app *app, const pf_request *req, pf_response *res) {
    pf_module_ctx ctx = {.share_dir = app->share_dir, .data_root = app->data_dir};
    json_t *lib = NULL;
    pf_error *err = pf_material_library_load(&ctx, pf_request_param(req, "name"), &lib);
    if (err) {
        pf_error *e = pf_error_new(err->code, "", "%s", err->message);
        pf_error_free(err);
        pf_respond_error_take(res, req, e);
        return;
    }
    pf_respond_json(res, 200, with_revision(lib));
}

void pf_handle_material_library_put(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *doc = pf_request_json(req, res);
    if (!doc) return;
    const char *name = pf_request_param(req, "name");
    if (json_is_object(doc) && !json_object_get(doc, "library")) json_object_set_new(doc, "library", json_string(name));
    pf_errors errs;
    pf_errors_init(&errs);
    pf_module_ctx ctx = {.share_dir = app->share_dir, .data_root = app->data_dir};
    pf_error *err = NULL;
    int lock = lock_kind(app, "material_libraries", &err);
    if (!err) {
        json_t *current = NULL;
        pf_error_free(pf_material_library_load(&ctx, name, &current));
        err = json_is_object(doc) ? check_revision(doc, current, "material library", name) : NULL;
        json_decref(current);
    }
    if (!err) err = pf_material_library_save(app->data_dir, name, doc, &errs);
    unlock_kind(lock);
    if (err && errs.len)
        respond_problems(res, req, "Invalid material library", &errs);
    else if (err)
        pf_respond_error(res, req, err);
    else
        pf_respond_json(res, 200, with_revision(json_incref(doc)));
    pf_error_free(err);
    pf_errors_clear(&errs);
    json_decref(doc);
}

void pf_handle_material_library_delete(const pf_app *app, const pf_request *req, pf_response *res) {
    pf_error *err = NULL;
    int lock = lock_kind(app, "material_libraries", &err);
    if (!err) err = pf_material_library_delete(app->data_dir, pf_request_param(req, "name"));
    unlock_kind(lock);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    pf_respond_text(res, 204, "application/json", NULL, 0);
}

/* A template as the API shows it: where it comes from as "data" (an edited
 * copy) or "share" (shipped), as for libraries, and no server file paths. */
static json_t *presented(const pf_app *app, json_t *doc) {
    const char *source = json_string_value(json_object_get(doc, "source"));
    size_t n = strlen(app->data_dir);
    bool edited = source && !strncmp(source, app->data_dir, n) && source[n] == '/';
    json_object_set_new(doc, "source", json_string(edited ? "data" : "share"));
    return with_revision(doc);
}

void pf_handle_template_list(const pf_app *app, const pf_request *req, pf_response *res) {
    (void)req;
    pf_template_set set;
    pf_templates_load(app->share_dir, app->data_dir, &set);
    json_t *list = json_array();
    const char *key;
    json_t *doc;
    json_object_foreach(set.templates, key, doc) json_array_append(list, presented(app, doc));
    pf_respond_json(res, 200, json_pack("{s:o, s:O}", "templates", list, "problems", set.problems));
    pf_template_set_free(&set);
}

void pf_handle_template_get(const pf_app *app, const pf_request *req, pf_response *res) {
    pf_template_set set;
    pf_templates_load(app->share_dir, app->data_dir, &set);
    const char *key = pf_request_param(req, "key");
    json_t *doc = json_object_get(set.templates, key);
    if (doc)
        pf_respond_json(res, 200, json_incref(presented(app, doc)));
    else
        pf_respond_error_take(res, req,
                              pf_error_new(PF_ENOTFOUND, "", "template \"%s\" does not exist%s%s", key,
                                           json_object_get(set.problems, key) ? ": " : "",
                                           json_string_value(json_object_get(set.problems, key))
                                               ? json_string_value(json_object_get(set.problems, key))
                                               : ""));
    pf_template_set_free(&set);
}

static char *template_path(const pf_app *app, const char *key) {
    return pf_asprintf("%s/templates/%s.json", app->data_dir, key);
}

void pf_handle_template_put(const pf_app *app, const pf_request *req, pf_response *res) {
    json_t *doc = pf_request_json(req, res);
    if (!doc) return;
    const char *key = pf_request_param(req, "key"), *given = json_string_value(json_object_get(doc, "key"));
    if (json_is_object(doc) && !given) json_object_set_new(doc, "key", json_string(key));
    json_object_del(doc, "source");
    pf_error *clash = NULL;
    int lock = lock_kind(app, "templates", &clash);
    if (!clash && json_is_object(doc)) {
        pf_template_set set;
        pf_templates_load(app->share_dir, app->data_dir, &set);
        clash = check_revision(doc, json_object_get(set.templates, key), "template", key);
        pf_template_set_free(&set);
    }
    if (clash) {
        unlock_kind(lock);
        pf_respond_error_take(res, req, clash);
        json_decref(doc);
        return;
    }
    pf_errors errs;
    pf_errors_init(&errs);
    char *dir = pf_asprintf("%s/templates", app->data_dir);
    if (!pf_id_valid_slug(key))
        pf_errors_add(&errs, PF_EINVAL, "/key", "\"%s\" is not a template key (letters, digits, - and _)", key);
    else if (given && strcmp(given, key) != 0)
        pf_errors_add(&errs, PF_EINVAL, "/key", "the body's key \"%s\" differs from the path's \"%s\"", given, key);
    pf_template_validate(doc, app->share_dir, app->data_dir, &errs);
    if (errs.len) {
        respond_problems(res, req, "Invalid render template", &errs);
    } else {
        char *path = template_path(app, key), *text = pf_json_text(doc, false);
        pf_error *err = pf_mkdirs(dir, 0755);
        if (!err) err = pf_write_file_atomic(path, text, strlen(text));
        if (err)
            pf_respond_error_take(res, req, err);
        else
            pf_respond_json(res, 200, with_revision(json_incref(doc)));
        free(text);
        free(path);
    }
    unlock_kind(lock);
    free(dir);
    pf_errors_clear(&errs);
    json_decref(doc);
}

void pf_handle_template_delete(const pf_app *app, const pf_request *req, pf_response *res) {
    const char *key = pf_request_param(req, "key");
    char *path = template_path(app, key);
    pf_error *err = NULL;
    int lock = lock_kind(app, "templates", &err);
    if (err)
        pf_respond_error_take(res, req, err);
    else if (!pf_id_valid_slug(key) || unlink(path) != 0)
        pf_respond_error_take(res, req,
                              pf_error_new(PF_ENOTFOUND, "", "template \"%s\" has no edited copy to delete", key));
    else
        pf_respond_text(res, 204, "application/json", NULL, 0);
    unlock_kind(lock);
    free(path);
}
