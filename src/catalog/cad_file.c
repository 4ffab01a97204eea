#include "catalog/cad_file.h"
#include "core/json.h"

#include "core/mem.h"
#include "core/path.h"
#include "runtime/artifact_store.h"
#include "workflow/workflow.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Found by module rather than node id, so an edited intake workflow works. */
static const json_t *output_of(const json_t *run, const char *module, const char *port) {
    size_t i;
    const json_t *node;
    json_array_foreach(json_object_get(json_object_get(json_object_get(run, "doc"), "workflow"), "nodes"), i, node) {
        const char *step = json_string_value(json_object_get(node, "step"));
        if (!step || strcmp(step, module) != 0) continue;
        const char *id = json_string_value(json_object_get(node, "id"));
        const json_t *state = json_object_get(json_object_get(json_object_get(run, "nodes"), id), "state");
        const json_t *v = json_object_get(json_object_get(state, "outputs"), port);
        if (v) return v;
    }
    return NULL;
}

json_t *pf_cad_file_intake(pf_store *store, const char *intake_run_id) {
    static const char *const roles[][3] = {
        {"step", "cad.resolve_step_path", "step"},
        {"objects", "cad.extract_objects", "objects"},
        {"glb", "cad.export_glb", "glb"},
        {"bbox", "cad.compute_bbox", "bbox"},
        {"material_map", "materials.auto_populate", "material_map"},
        {"thumbnail", "render.thumbnail", "image"},
    };
    json_t *run = NULL, *out = json_object();
    pf_error_free(pf_store_run_get(store, intake_run_id, true, &run));
    for (size_t i = 0; run && i < sizeof roles / sizeof *roles; i++) {
        const json_t *v = output_of(run, roles[i][1], roles[i][2]);
        if (v) json_object_set(out, roles[i][0], (json_t *)v);
    }
    json_decref(run);
    return out;
}

char *pf_cad_file_rel_path(const char *sha256) { return pf_asprintf("cad/%s.step", sha256); }

static pf_error *start_intake(const pf_cad_env *env, const char *sha256, const char *rel, pf_errors *errs,
                              char **run_id) {
    json_t *wf = NULL;
    pf_error *err = pf_workflow_find(env->store, env->starters, "starter-cad-intake", 0, &wf);
    if (err) return err;
    json_t *ctx = json_pack("{s:s, s:s}", "step_path", rel, "cad_file_id", sha256);
    json_t *subject = json_pack("{s:s}", "cad_file", sha256);
    pf_run_request req = {.workflow = wf, .context = ctx, .subject = subject};
    err = pf_runtime_submit(env->runtime, &req, errs, run_id);
    json_decref(subject);
    json_decref(ctx);
    json_decref(wf);
    return err;
}

pf_error *pf_cad_file_accept(const pf_cad_env *env, const char *tmp_path, const char *sha256, uint64_t size,
                             const char *filename, pf_errors *errs, json_t **doc_out, bool *created) {
    *doc_out = NULL;
    *created = false;
    json_t *known = NULL;
    pf_error *err = pf_store_item_get(env->store, "cad_file", sha256, &known);
    if (!err) {
        /* Known bytes; if their file went missing, these bring it back. */
        char *path = pf_asprintf("%s/%s", env->data_dir, pf_json_str(known, "path") ? pf_json_str(known, "path") : "");
        if (pf_json_str(known, "path") && access(path, F_OK) != 0) err = pf_rename_durable(tmp_path, path);
        free(path);
        if (err) {
            json_decref(known);
            return err;
        }
        *doc_out = known;
        return NULL;
    }
    if (err->code != PF_ENOTFOUND) return err;
    pf_error_free(err);

    char *rel = pf_cad_file_rel_path(sha256);
    char *path = pf_asprintf("%s/%s", env->data_dir, rel), *dir = pf_asprintf("%s/cad", env->data_dir);
    char *run_id = NULL;
    err = pf_mkdirs(dir, 0755);
    if (!err) err = pf_rename_durable(tmp_path, path);
    /* The run first, so an item always names its intake; a crash between
     * the two leaves a run whose file the next upload takes up again. */
    if (!err) err = start_intake(env, sha256, rel, errs, &run_id);
    if (!err) {
        json_t *doc = json_pack("{s:s, s:s, s:I, s:s?, s:s, s:s}", "id", sha256, "sha256", sha256, "size",
                                (json_int_t)size, "filename", filename, "path", rel, "intake_run_id", run_id);
        pf_store_item item = {.op = PF_ITEM_CREATE, .kind = "cad_file", .key = sha256, .doc = doc};
        err = pf_store_items_write(env->store, &item, 1);
        json_decref(doc);
        if (err && err->code == PF_ECONFLICT) {
            /* The same bytes arrived twice at once: the other upload won,
             * with its intake; this one's is not needed. */
            pf_error_free(err);
            pf_error_free(pf_runtime_cancel(env->runtime, run_id));
            err = pf_store_item_get(env->store, "cad_file", sha256, doc_out);
        } else if (!err) {
            *created = true;
            err = pf_store_item_get(env->store, "cad_file", sha256, doc_out);
        }
    }
    free(run_id);
    free(dir);
    free(path);
    free(rel);
    return err;
}

/* {artifact_id, href, media_type, size} of a file output. New reference. */
static json_t *artifact_link(const json_t *value) {
    const char *id = pf_json_str(value, "artifact_id");
    json_t *out = json_object();
    if (!id) return out;
    json_object_set_new(out, "artifact_id", json_string(id));
    json_object_set_new(out, "href", json_sprintf("/api/artifacts/%s", id));
    if (json_object_get(value, "media_type")) json_object_set(out, "media_type", json_object_get(value, "media_type"));
    if (json_object_get(value, "size")) json_object_set(out, "size", json_object_get(value, "size"));
    return out;
}

/* Adds the finished outputs: small ones inline, files as links. */
static void add_outputs(json_t *view, const json_t *made) {
    const json_t *v;
    if ((v = json_object_get(made, "objects"))) {
        json_t *o = artifact_link(v);
        json_object_set(o, "summary", json_object_get(v, "summary"));
        json_object_set_new(view, "objects", o);
    }
    if ((v = json_object_get(made, "bbox"))) {
        /* The box's own "size" is its extent, not the file's. */
        json_t *b = json_deep_copy(json_object_get(v, "bbox")), *l = artifact_link(v);
        if (!b) b = json_object();
        json_object_del(l, "size");
        json_object_del(l, "media_type");
        json_object_update(b, l);
        json_decref(l);
        json_object_set_new(view, "bbox", b);
    }
    if ((v = json_object_get(made, "glb"))) json_object_set_new(view, "glb", artifact_link(v));
    if ((v = json_object_get(made, "thumbnail"))) json_object_set_new(view, "thumbnail", artifact_link(v));
    if ((v = json_object_get(made, "material_map"))) {
        json_t *m = artifact_link(v), *map = NULL;
        char *text = NULL;
        size_t len = 0;
        pf_error *err = pf_json_str(v, "path") ? pf_read_file(pf_json_str(v, "path"), 64u << 20, &text, &len) : NULL;
        if (!err && text && (map = json_loadb(text, len, 0, NULL))) {
            json_object_set(m, "library", json_object_get(map, "library"));
            json_object_set(m, "parts", json_object_get(map, "parts"));
        }
        json_decref(map);
        free(text);
        pf_error_free(err);
        json_object_set_new(view, "material_map", m);
    }
}

json_t *pf_cad_file_intake_view(const pf_cad_env *env, const char *run_id, bool outputs) {
    json_t *view = json_pack("{s:s, s:o}", "run_id", run_id, "href", json_sprintf("/api/runs/%s", run_id));
    json_t *run = NULL;
    pf_error *err = pf_store_run_get(env->store, run_id, true, &run);
    if (err) {
        json_object_set_new(view, "status", json_string("missing"));
        pf_error_free(err);
        return view;
    }
    json_object_set(view, "status", json_object_get(run, "status"));
    size_t total = 0, done = 0;
    json_t *errors = json_array();
    const char *id;
    const json_t *node;
    json_object_foreach(json_object_get(run, "nodes"), id, node) {
        total++;
        const char *s = pf_json_str(node, "status");
        if (s && strcmp(s, "pending") != 0 && strcmp(s, "running") != 0) done++;
        const json_t *e = json_object_get(json_object_get(node, "state"), "error");
        if (s && strcmp(s, "failed") == 0 && e) {
            json_t *entry = json_deep_copy(e);
            json_object_set_new(entry, "node", json_string(id));
            json_array_append_new(errors, entry);
        }
    }
    /* The store records a node when it finishes; what runs now is in memory. */
    json_t *running = json_array(), *live = pf_runtime_live(env->runtime, run_id);
    json_t *status;
    json_object_foreach(live, id, status) json_array_append_new(running, json_string(id));
    json_decref(live);
    json_object_set_new(view, "progress",
                        json_pack("{s:I, s:I, s:f, s:o}", "done", (json_int_t)done, "total", (json_int_t)total,
                                  "fraction", total ? (double)done / (double)total : 0.0, "running", running));
    json_object_set_new(view, "errors", errors);
    json_decref(run);
    if (outputs) {
        json_t *made = pf_cad_file_intake(env->store, run_id);
        add_outputs(view, made);
        json_decref(made);
    }
    return view;
}

json_t *pf_cad_file_view(const pf_cad_env *env, const json_t *doc, bool outputs) {
    json_t *view = json_deep_copy(doc);
    const char *run_id = pf_json_str(doc, "intake_run_id");
    json_object_set_new(view, "intake", run_id ? pf_cad_file_intake_view(env, run_id, outputs) : json_null());
    return view;
}

size_t pf_cad_files_sweep(const char *data_dir) {
    char *dir = pf_asprintf("%s/cad/tmp", data_dir);
    size_t n = pf_unlink_files(dir);
    free(dir);
    return n;
}

size_t pf_cad_files_collect_failed(pf_store *store, const char *data_dir) {
    json_t *files = NULL, *products = NULL;
    size_t n = 0;
    if (pf_store_item_list(store, "cad_file", &files) != NULL ||
        pf_store_item_list(store, "product", &products) != NULL) {
        json_decref(files);
        json_decref(products);
        return 0; /* nothing is collected on a guess */
    }
    size_t i, k;
    const json_t *file, *product;
    json_array_foreach(files, i, file) {
        const char *id = pf_json_str(file, "id"), *run_id = pf_json_str(file, "intake_run_id");
        const char *rel = pf_json_str(file, "path");
        if (!id || !run_id || !rel) continue;
        bool used = false;
        json_array_foreach(products, k, product) used =
            used || (pf_json_str(product, "cad_file") && strcmp(pf_json_str(product, "cad_file"), id) == 0);
        if (used) continue;
        json_t *run = NULL;
        pf_error *err = pf_store_run_get(store, run_id, false, &run);
        bool failed = !err && pf_json_str(run, "status") && strcmp(pf_json_str(run, "status"), "failed") == 0;
        pf_error_free(err);
        json_decref(run);
        if (!failed) continue;
        pf_store_item item = {.op = PF_ITEM_DELETE, .kind = "cad_file", .key = id, .doc = NULL};
        err = pf_store_items_write(store, &item, 1);
        if (err) {
            pf_error_free(err);
            continue;
        }
        char *path = pf_asprintf("%s/%s", data_dir, rel);
        unlink(path);
        free(path);
        const char *sha = pf_json_str(file, "sha256");
        if (sha && pf_artifact_is_digest(sha)) {
            path = pf_artifact_store_path(data_dir, sha);
            unlink(path);
            free(path);
        }
        n++;
    }
    json_decref(files);
    json_decref(products);
    return n;
}
