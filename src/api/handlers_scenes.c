/* Template scenes: the .blend files blend_scene templates name by key
 * (render/scene.h). An upload streams to DATA/scenes/tmp (api/upload.h:
 * its size limit, early 413 and disk quota 507), is sniffed for the
 * BLENDER header, then opened inside Blender with scripts off; a scene
 * carrying Python or naming files outside itself is refused with every
 * reason, and only a clean one is kept, as DATA/scenes/<key>.blend. */
#include "api/router.h"
#include "api/upload.h"

#include "core/json.h"
#include "core/mem.h"
#include "core/path.h"
#include "render/scene.h"
#include "render/scene_check.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Scene checks at once. Each holds a request thread and a Blender of up
 * to its memory limit for a second or more; one at a time leaves the
 * other request threads (one per core by default) to everyone else. */
#define SCENE_CHECKS_MAX 1

static void refuse(pf_response *res, const pf_request *req, int status, const char *pointer, const char *msg) {
    pf_errors errs;
    pf_errors_init(&errs);
    pf_errors_add(&errs, status >= 500 ? PF_EINTERNAL : PF_EINVAL, pointer, "%s", msg);
    pf_respond_problem(res, status, NULL, msg, req->path, &errs);
    pf_errors_clear(&errs);
}

/* 422 with one problem per finding: the uploader fixes them all at once. */
static void refuse_findings(pf_response *res, const pf_request *req, const json_t *findings) {
    pf_errors errs;
    pf_errors_init(&errs);
    size_t i;
    const json_t *f;
    json_array_foreach(findings, i, f)
        pf_errors_add(&errs, PF_EINVAL, "/file", "%s", pf_json_str(f, "reason") ? pf_json_str(f, "reason") : "?");
    char *detail = pf_asprintf("the scene carries Python or names files outside itself (%zu finding%s); a template "
                               "scene must hold neither, since the files made from it go to other people's Blenders",
                               errs.len, errs.len == 1 ? "" : "s");
    pf_respond_problem(res, 422, "The scene is refused", detail, req->path, &errs);
    free(detail);
    pf_errors_clear(&errs);
}

void pf_handle_scene_put(const pf_app *app, const pf_request *req, pf_response *res) {
    const pf_upload *up = req->upload;
    const char *key = pf_request_param(req, "key");
    char *path = NULL;
    pf_error *err = pf_scene_data_path(app->data_dir, key, "/key", &path);
    if (err) {
        pf_respond_error_take(res, req, err);
        return;
    }
    const char *why = NULL;
    if (!up)
        refuse(res, req, 500, "", "the upload was not streamed to a file");
    else if (up->size == 0)
        refuse(res, req, 422, "/file", "the upload is empty; send a .blend file");
    else if ((why = pf_scene_sniff(up->head, up->head_len)))
        refuse(res, req, 422, "/file", why);
    if (!up || up->size == 0 || why) {
        free(path);
        return;
    }
    /* A check holds this thread and a Blender for seconds: past the cap,
     * the client tries again rather than queueing on the server. */
    if (atomic_fetch_add(app->scene_checks, 1) >= SCENE_CHECKS_MAX) {
        atomic_fetch_sub(app->scene_checks, 1);
        refuse(res, req, 503, "/file", "another scene is being checked now; send this one again in a few seconds");
        free(path);
        return;
    }
    json_t *report = NULL;
    err = pf_scene_check(app->share_dir, up->path, &report);
    atomic_fetch_sub(app->scene_checks, 1);
    const json_t *findings = json_object_get(report, "findings");
    if (err) {
        pf_respond_error(res, req, err);
    } else if (json_array_size(findings)) {
        refuse_findings(res, req, findings);
    } else {
        struct stat st;
        bool replaced = stat(path, &st) == 0;
        char *dir = pf_asprintf("%s/scenes", app->data_dir);
        err = pf_mkdirs(dir, 0755);
        if (!err) err = pf_rename_durable(up->path, path);
        free(dir);
        if (err) {
            pf_respond_error(res, req, err);
        } else {
            json_object_del(report, "findings");
            json_object_set_new(report, "key", json_string(key));
            json_object_set_new(report, "sha256", json_string(up->sha256));
            json_object_set_new(report, "size", json_integer((json_int_t)up->size));
            if (!replaced) res->location = pf_asprintf("/api/scenes/%s", key);
            pf_respond_json(res, replaced ? 200 : 201, json_incref(report));
        }
    }
    pf_error_free(err);
    json_decref(report);
    free(path);
}

/* Templates that still name the scene are refused from then on, each
 * saying that no scene has the key (GET /api/templates lists them). */
void pf_handle_scene_delete(const pf_app *app, const pf_request *req, pf_response *res) {
    const char *key = pf_request_param(req, "key");
    char *path = NULL;
    pf_error *err = pf_scene_data_path(app->data_dir, key, "/key", &path);
    if (!err && unlink(path) != 0)
        err = pf_error_new(PF_ENOTFOUND, "", "no scene \"%s\" has been uploaded%s", key,
                           errno == ENOENT ? "" : ": it cannot be deleted");
    if (err)
        pf_respond_error(res, req, err);
    else
        pf_respond_text(res, 204, "application/json", NULL, 0);
    pf_error_free(err);
    free(path);
}

static int by_key(const void *a, const void *b) {
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "key")),
                  json_string_value(json_object_get(*(json_t *const *)b, "key")));
}

/* The scenes of one root that no earlier root has, as {key, size, source}. */
static void list_root(const char *root, const char *source, json_t *seen, json_t *out) {
    char *dir = root ? pf_asprintf("%s/scenes", root) : NULL;
    DIR *d = dir ? opendir(dir) : NULL;
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n <= 6 || strcmp(e->d_name + n - 6, ".blend") != 0) continue;
        char *key = pf_strndup(e->d_name, n - 6), *file = pf_asprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (pf_scene_key_valid(key) && !json_object_get(seen, key) && stat(file, &st) == 0 && S_ISREG(st.st_mode)) {
            json_object_set_new(seen, key, json_true());
            json_array_append_new(
                out, json_pack("{s:s, s:I, s:s}", "key", key, "size", (json_int_t)st.st_size, "source", source));
        }
        free(file);
        free(key);
    }
    if (d) closedir(d);
    free(dir);
}

void pf_handle_scene_list(const pf_app *app, const pf_request *req, pf_response *res) {
    (void)req;
    json_t *seen = json_object(), *list = json_array();
    list_root(app->data_dir, "data", seen, list);
    list_root(app->share_dir, "share", seen, list);
    size_t n = json_array_size(list);
    json_t **items = pf_xcalloc(n + 1, sizeof *items);
    for (size_t i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(list, i));
    qsort(items, n, sizeof *items, by_key);
    json_array_clear(list);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, items[i]);
    free(items);
    json_decref(seen);
    pf_respond_json(res, 200, json_pack("{s:o}", "scenes", list));
}
