/* The artifact side of a parity report: each delivered artifact judged by
 * its kind. PNG images by pixels, PSNR and SSIM (parity_image.h), MP4
 * videos frame by frame (parity_video.h), .blend files by Blender's digest
 * (parity_blend.h), GLB files by structure (parity_glb.h); anything else by
 * its content digest. */
#include "runtime/parity_parts.h"

#include "core/json.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/sha256.h"
#include "runtime/artifact_store.h"
#include "runtime/parity_blend.h"
#include "runtime/parity_glb.h"
#include "runtime/parity_image.h"
#include "runtime/parity_structure.h"
#include "runtime/parity_video.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Keeps a diff image in the artifact store: {sha256, media_type, size}. */
static json_t *keep_diff(const pf_parity_env *env, const char *work, const char *role, const pf_image *diff) {
    if (!diff->rgba) return NULL;
    char *path = pf_asprintf("%s/%s-diff.png", work, role);
    char sha[65], *stored = NULL;
    uint64_t size = 0;
    pf_error *err = pf_mkdirs(work, 0700);
    if (!err) err = pf_png_write(path, diff);
    if (!err) err = pf_sha256_file(path, sha, &size);
    if (!err) err = pf_artifact_store_put(env->data_dir, path, sha, &stored);
    unlink(path);
    free(path);
    free(stored);
    json_t *out =
        err ? json_pack("{s:s}", "error", "the diff image could not be kept")
            : json_pack("{s:s, s:s, s:I}", "sha256", sha, "media_type", "image/png", "size", (json_int_t)size);
    pf_error_free(err);
    return out;
}

/* A file's problem without the server's path: reports are read by clients. */
static json_t *failure(const char *side, const pf_error *err) {
    return json_pack("{s:s, s:s, s:s}", "verdict", "not compared", "side", side, "error",
                     err->code == PF_EUNAVAILABLE ? err->message : "the file could not be read or decoded");
}

static json_t *compare_png(const pf_parity_env *env, const char *work, const char *role, const char *a, const char *b) {
    pf_image x, y, diff = {0};
    pf_error *ea = pf_png_read(a, &x), *eb = ea ? NULL : pf_png_read(b, &y);
    json_t *out;
    if (ea || eb) {
        out = failure(ea ? "legacy" : "graph", ea ? ea : eb);
    } else {
        pf_parity_image_result r;
        pf_parity_compare_images(&x, &y, &r, &diff);
        out = pf_parity_image_json(&r);
        json_object_set_new(out, "size",
                            json_pack("{s:[i, i], s:[i, i]}", "legacy", x.width, x.height, "graph", y.width, y.height));
        if (r.verdict != PF_PARITY_IDENTICAL && diff.rgba)
            json_object_set_new(out, "diff_image", keep_diff(env, work, role, &diff));
        pf_image_free(&y);
    }
    if (!ea) pf_image_free(&x);
    pf_image_free(&diff);
    pf_error_free(ea);
    pf_error_free(eb);
    return out;
}

static json_t *compare_mp4(const pf_parity_env *env, const char *work, const char *role, const char *a, const char *b) {
    char *frames = pf_asprintf("%s/%s-frames", work, role);
    pf_image diff = {0};
    json_t *out = NULL;
    pf_error *err = pf_parity_compare_videos(a, b, frames, &out, &diff);
    if (err) {
        out = failure("either", err);
    } else if (diff.rgba) {
        json_object_set_new(out, "diff_image", keep_diff(env, work, role, &diff));
    }
    pf_image_free(&diff);
    pf_error_free(err);
    free(frames);
    return out;
}

static json_t *compare_blend(const pf_parity_env *env, const char *a, const char *b) {
    const char *paths[2] = {a, b};
    json_t *digests[2] = {NULL, NULL};
    pf_error *err = pf_parity_blend_digests(env->share_dir, paths, 2, digests);
    if (err) {
        json_t *out = failure("either", err);
        pf_error_free(err);
        return out;
    }
    json_t *out = pf_parity_structure_verdict(digests[0], digests[1]);
    json_object_set_new(out, "digest", digests[0]); /* the legacy side's: what both should hold */
    json_decref(digests[1]);
    return out;
}

static json_t *compare_glb(const char *a, const char *b) {
    json_t *sa = NULL, *sb = NULL;
    pf_error *ea = pf_parity_glb_structure(a, &sa), *eb = ea ? NULL : pf_parity_glb_structure(b, &sb);
    json_t *out;
    if (ea || eb) {
        out = failure(ea ? "legacy" : "graph", ea ? ea : eb);
    } else {
        out = pf_parity_structure_verdict(sa, sb);
        json_object_set_new(out, "bounds", json_incref(json_object_get(sa, "bounds")));
    }
    json_decref(sa);
    json_decref(sb);
    pf_error_free(ea);
    pf_error_free(eb);
    return out;
}

static const json_t *artifacts_of(const json_t *run) {
    return json_object_get(json_object_get(json_object_get(json_object_get(run, "doc"), "workflow"), "invocation"),
                           "artifacts");
}

/* The value a run delivered for spec ({kind, from: "node.port"}). */
static const json_t *delivered(const json_t *run, const json_t *spec) {
    const char *from = pf_json_str(spec, "from"), *dot = from ? strchr(from, '.') : NULL;
    const json_t *node = pf_parity_node(run, from);
    return dot ? json_object_get(json_object_get(json_object_get(node, "state"), "outputs"), dot + 1) : NULL;
}

/* Compares two delivered files by their media type; NULL when the types
 * differ (already a difference) and nothing more can be said. */
static json_t *judge(const pf_parity_env *env, const char *work, const char *role, const json_t *a, const json_t *b) {
    const char *type = pf_json_str(a, "media_type") ? pf_json_str(a, "media_type") : "";
    const char *pa = pf_json_str(a, "path"), *pb = pf_json_str(b, "path");
    json_t *out;
    if (!pa || !pb) {
        out = json_pack("{s:s, s:s}", "comparison", "value", "verdict", json_equal(a, b) ? "identical" : "different");
        return out;
    }
    if (strcmp(type, "image/png") == 0) {
        out = compare_png(env, work, role, pa, pb);
        json_object_set_new(out, "comparison", json_string("pixels"));
    } else if (strcmp(type, "video/mp4") == 0) {
        out = compare_mp4(env, work, role, pa, pb);
        json_object_set_new(out, "comparison", json_string("frames"));
    } else if (strcmp(type, "application/x-blender") == 0) {
        out = compare_blend(env, pa, pb);
        json_object_set_new(out, "comparison", json_string("blend_digest"));
    } else if (strcmp(type, "model/gltf-binary") == 0) {
        out = compare_glb(pa, pb);
        json_object_set_new(out, "comparison", json_string("glb_structure"));
    } else {
        bool same = json_equal(json_object_get(a, "sha256"), json_object_get(b, "sha256"));
        out = json_pack("{s:s, s:s}", "comparison", "sha256", "verdict", same ? "identical" : "different");
    }
    return out;
}

json_t *pf_parity_compare_artifacts(const pf_parity_env *env, const json_t *legacy, const json_t *graph,
                                    json_t *diffs) {
    json_t *roles = json_object();
    const json_t *runs[2] = {legacy, graph};
    for (int r = 0; r < 2; r++) {
        const char *role;
        const json_t *spec;
        json_object_foreach((json_t *)artifacts_of(runs[r]), role, spec) json_object_set_new(roles, role, json_true());
    }
    char *work = pf_asprintf("%s/parity/%s", env->data_dir, pf_json_str(graph, "id"));
    json_t *out = json_array();
    const char *role;
    const json_t *unused;
    json_object_foreach(roles, role, unused) {
        const json_t *specs[2], *values[2];
        for (int r = 0; r < 2; r++) {
            specs[r] = json_object_get(artifacts_of(runs[r]), role);
            values[r] = delivered(runs[r], specs[r]);
        }
        json_t *entry = json_pack("{s:s}", "role", role);
        const char *fields[] = {"kind", "media_type"};
        bool comparable = values[0] && values[1];
        for (int f = 0; f < 2; f++) {
            const json_t *a = f == 0 ? json_object_get(specs[0], "kind") : json_object_get(values[0], "media_type");
            const json_t *b = f == 0 ? json_object_get(specs[1], "kind") : json_object_get(values[1], "media_type");
            json_object_set_new(entry, fields[f], json_pack("{s:O?, s:O?}", "legacy", a, "graph", b));
            if (!json_equal(a, b) && !(a == NULL && b == NULL)) {
                char *what = pf_asprintf("%s %s", role, fields[f]);
                pf_parity_differ(diffs, what, a, b);
                free(what);
                comparable = false;
            }
        }
        if (!values[0] || !values[1]) {
            char *what = pf_asprintf("%s delivered", role);
            pf_parity_differ(diffs, what, json_boolean(values[0] != NULL), json_boolean(values[1] != NULL));
            free(what);
        }
        if (comparable) {
            json_t *judged = judge(env, work, role, values[0], values[1]);
            const char *verdict = pf_json_str(judged, "verdict");
            if (!verdict || (strcmp(verdict, "identical") != 0 && strcmp(verdict, "equivalent") != 0)) {
                char *what = pf_asprintf("%s %s", role, pf_json_str(judged, "comparison"));
                json_t *d = json_pack("{s:s, s:s?}", "what", what, "verdict", verdict);
                const char *keep[] = {"error",      "psnr_db", "ssim", "differing_pixels", "differing_frames",
                                      "differences"};
                for (size_t k = 0; k < sizeof keep / sizeof *keep; k++)
                    if (json_object_get(judged, keep[k])) json_object_set(d, keep[k], json_object_get(judged, keep[k]));
                json_array_append_new(diffs, d);
                free(what);
            }
            json_object_update(entry, judged);
            json_decref(judged);
        }
        json_array_append_new(out, entry);
    }
    pf_error_free(pf_remove_tree(work));
    free(work);
    json_decref(roles);
    return out;
}
