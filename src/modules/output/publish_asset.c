/* output.publish_asset: delivers an artifact into the published-assets area
 * (<data>/assets/<channel>/<path>) under a stable URL. The asset id and
 * place follow from (run, node), so a retry or a resumed run writes the same
 * file to the same place (or nothing, when it is there already: the
 * runtime claims the publish before it and performs it again only when
 * that claim was never recorded done) and the runtime keeps one asset row:
 * nothing is published twice. In a shadow run it only says what it would
 * publish.
 *
 * The channel and the expanded path template are user input that becomes a
 * path: each goes through pf_path_confine, and nothing else decides where
 * the file lands. The file takes the extension of its media type, because
 * the server derives the type it serves from the extension. */
#include "core/json.h"
#include "modules/module.h"

#include "core/mem.h"
#include "core/path.h"
#include "core/sha256.h"

#include <ctype.h>
#include <string.h>
#include <sys/stat.h>

/* What a deliverable is published as; src/api/static.c serves the same
 * extensions with the same types. */
static const struct {
    const char *type, *ext;
} media_exts[] = {
    {"image/png", "png"},         {"image/webp", "webp"},
    {"video/mp4", "mp4"},         {"application/x-blender", "blend"},
    {"model/gltf-binary", "glb"}, {"model/step", "step"},
    {"application/json", "json"},
};

typedef struct {
    const char *media_type, *ext; /* borrowed: from the table or the artifact */
} kind;

/* A known media type gives its extension; otherwise the source file's own
 * (when it is a short plain word), else "bin". Artifacts in the store have
 * no extension, so the media type is what counts. */
static kind kind_of(const json_t *artifact) {
    const char *type = pf_json_str(artifact, "media_type");
    for (size_t i = 0; type && i < sizeof media_exts / sizeof *media_exts; i++)
        if (strcmp(type, media_exts[i].type) == 0) return (kind){media_exts[i].type, media_exts[i].ext};
    const char *path = pf_json_str(artifact, "path"), *dot = path ? strrchr(path, '.') : NULL;
    bool plain = dot && dot[1] && strlen(dot + 1) <= 8 && !strchr(dot, '/');
    for (const char *c = plain ? dot + 1 : ""; *c; c++)
        plain = plain && isalnum((unsigned char)*c);
    return (kind){type && *type ? type : "application/octet-stream", plain ? dot + 1 : "bin"};
}

typedef struct {
    char *data;
    size_t len, cap;
} text;

static void append(text *t, const char *s, size_t n) {
    if (t->len + n + 1 > t->cap) t->data = pf_xrealloc(t->data, t->cap = 2 * (t->len + n + 1));
    memcpy(t->data + t->len, s, n);
    t->data[t->len += n] = '\0';
}

/* Fills {order_line}, {role} and {ext} into the template's len bytes (a NUL
 * inside is kept, for the confinement to refuse). The result is checked by
 * the caller. */
static text fill(const char *tmpl, size_t len, const char *order_line, const char *role, const char *ext) {
    const struct {
        const char *name, *value;
    } fields[] = {{"{order_line}", order_line}, {"{role}", role}, {"{ext}", ext}};
    text out = {0};
    append(&out, "", 0);
    for (size_t i = 0; i < len;) {
        size_t f = 0, n = 0;
        for (; f < 3; f++)
            if (strncmp(tmpl + i, fields[f].name, n = strlen(fields[f].name)) == 0) break;
        if (f < 3)
            append(&out, fields[f].value, strlen(fields[f].value)), i += n;
        else
            append(&out, tmpl + i++, 1);
    }
    return out;
}

/* Makes the name end in .<ext>, so it is served as what it is. */
static void ensure_extension(text *t, const char *ext) {
    size_t e = strlen(ext);
    if (t->len > e && t->data[t->len - e - 1] == '.' && memcmp(t->data + t->len - e, ext, e) == 0) return;
    append(t, ".", 1);
    append(t, ext, e);
}

/* A path of plain names as a URL path: everything but unreserved
 * characters and '/' percent-encoded. */
static char *url_path(const char *path) {
    text out = {0};
    append(&out, "", 0);
    for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
        if (isalnum(*c) || strchr("-._~/", *c)) {
            append(&out, (const char *)c, 1);
        } else {
            char hex[4];
            snprintf(hex, sizeof hex, "%%%02X", *c);
            append(&out, hex, 3);
        }
    }
    return out.data;
}

/* What {order_line} stands for: the order line an order run is about; a
 * run with no order line (CAD intake) has the run id, so each run
 * publishes to its own place. */
static const char *subject_of(const pf_module_ctx *ctx) {
    const char *line = pf_json_str(ctx->context, "order_line_id");
    if (line && *line) return line;
    return ctx->run_id ? ctx->run_id : "direct";
}

/* <data>/assets/<channel>/<template filled in>, each part confined. */
static pf_error *place(const pf_module_ctx *ctx, const json_t *params, const json_t *artifact, kind k, char **rel_out,
                       char **dest_out) {
    *rel_out = *dest_out = NULL;
    char *assets = pf_asprintf("%s/assets", ctx->data_root), *channel_dir = NULL;
    const json_t *channel = json_object_get(params, "channel"), *tmpl = json_object_get(params, "path_template");
    pf_error *err = pf_path_confine(assets, json_string_value(channel), json_string_length(channel), "/params/channel",
                                    &channel_dir);
    free(assets);
    if (err) return err;
    const char *role = pf_json_str(artifact, "role");
    char *role_slug = pf_strdup(role ? role : "artifact");
    for (char *c = role_slug; *c; c++)
        if (*c == '.') *c = '-';
    text rel = fill(json_string_value(tmpl), json_string_length(tmpl), subject_of(ctx), role_slug, k.ext);
    free(role_slug);
    /* The path as the template spells it ("..", say) first; then the name
     * it gets, whose last part may differ by the extension. */
    err = pf_path_confine(channel_dir, rel.data, rel.len, "/params/path_template", dest_out);
    if (!err) {
        free(*dest_out);
        ensure_extension(&rel, k.ext);
        err = pf_path_confine(channel_dir, rel.data, rel.len, "/params/path_template", dest_out);
    }
    free(channel_dir);
    if (err)
        free(rel.data);
    else
        *rel_out = rel.data;
    return err;
}

/* Whether dest holds the file with this digest already: a publish
 * performed again (a server that took over a run whose publish was never
 * recorded done) then writes nothing, so it is once in effect. */
static bool already_published(const char *dest, const char *sha256) {
    struct stat st;
    char digest[65];
    if (stat(dest, &st) != 0 || !S_ISREG(st.st_mode)) return false;
    pf_error *err = pf_sha256_file(dest, digest, NULL);
    bool same = !err && strcmp(digest, sha256) == 0;
    pf_error_free(err);
    return same;
}

static pf_error *write_copy(const char *src, const char *dest) {
    char *dir = pf_strdup(dest);
    *strrchr(dir, '/') = '\0';
    pf_error *err = pf_mkdirs(dir, 0755);
    if (!err) err = pf_copy_file_atomic(src, dest);
    free(dir);
    return err;
}

static json_t *asset_doc(const pf_module_ctx *ctx, const json_t *params, const json_t *artifact, kind k,
                         const char *rel, const char *dest) {
    const char *run = ctx->run_id ? ctx->run_id : "direct", *node = ctx->node_id ? ctx->node_id : "publish";
    char *key = pf_asprintf("%s/%s", run, node), digest[65];
    pf_sha256_hex(key, strlen(key), digest);
    char *id = pf_asprintf("asset_%.24s", digest), *url_rel = url_path(rel);
    char *channel_url = url_path(pf_json_str(params, "channel"));
    char *url = pf_asprintf("/published/%s/%s", channel_url, url_rel);
    const json_t *size = json_object_get(artifact, "size"), *artifact_id = json_object_get(artifact, "artifact_id");
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:s, s:b}", "id", id, "channel",
                            pf_json_str(params, "channel"), "published_path", dest, "url", url, "sha256",
                            pf_json_str(artifact, "sha256"), "media_type", k.media_type, "size",
                            size ? size : json_null(), "artifact_id", artifact_id ? artifact_id : json_null(),
                            "visibility", pf_json_str(params, "visibility"), "shadow", ctx->shadow);
    free(url);
    free(channel_url);
    free(url_rel);
    free(id);
    free(key);
    return doc;
}

static pf_error *execute(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    const json_t *artifact = json_object_get(inputs, "artifact");
    const char *src = pf_json_str(artifact, "path");
    if (!src || !pf_json_str(artifact, "sha256"))
        return pf_error_new(PF_EINVAL, "/inputs/artifact", "the artifact has no file (path and sha256)");
    kind k = kind_of(artifact);
    char *rel = NULL, *dest = NULL;
    pf_error *err = place(ctx, params, artifact, k, &rel, &dest);
    if (!err && !ctx->shadow && !already_published(dest, pf_json_str(artifact, "sha256"))) err = write_copy(src, dest);
    if (!err) *outputs = json_pack("{s:o}", "asset", asset_doc(ctx, params, artifact, k, rel, dest));
    free(dest);
    free(rel);
    return err;
}

PF_MODULE(output, publish_asset, .execute = execute);
