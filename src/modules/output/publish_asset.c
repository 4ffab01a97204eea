/* output.publish_asset: delivers an artifact into the published-assets area
 * (<data>/assets/<channel>/<path>) under a stable URL. The asset id and
 * place follow from (run, node), so a retry or a resumed run writes the same
 * file again and the runtime keeps one asset row: nothing is published
 * twice. In a shadow run it only says what it would publish. */
#include "core/json.h"
#include "modules/module.h"

#include "core/mem.h"
#include "core/path.h"
#include "core/sha256.h"

#include <string.h>
#include <sys/stat.h>

static const char *extension_of(const json_t *artifact) {
    const char *path = pf_json_str(artifact, "path"), *dot = path ? strrchr(path, '.') : NULL;
    return dot && !strchr(dot, '/') ? dot + 1 : "bin";
}

/* Fills {order_line}, {role} and {ext}; NULL when the result could leave
 * the channel's directory. */
static char *fill(const char *tmpl, const char *order_line, const char *role, const char *ext) {
    char *out = pf_strdup("");
    for (const char *p = tmpl; *p;) {
        const char *value = NULL;
        size_t skip = 1;
        if (strncmp(p, "{order_line}", 12) == 0)
            value = order_line, skip = 12;
        else if (strncmp(p, "{role}", 6) == 0)
            value = role, skip = 6;
        else if (strncmp(p, "{ext}", 5) == 0)
            value = ext, skip = 5;
        char *next = value ? pf_asprintf("%s%s", out, value) : pf_asprintf("%s%c", out, *p);
        free(out);
        out = next;
        p += skip;
    }
    if (out[0] == '/' || strstr(out, "..")) {
        free(out);
        return NULL;
    }
    return out;
}

static pf_error *execute(const pf_module_ctx *ctx, const json_t *inputs, const json_t *params, json_t **outputs) {
    const json_t *artifact = json_object_get(inputs, "artifact");
    const char *src = pf_json_str(artifact, "path"), *sha = pf_json_str(artifact, "sha256");
    if (!src || !sha) return pf_error_new(PF_EINVAL, "/inputs/artifact", "the artifact has no file (path and sha256)");
    const char *run = ctx->run_id ? ctx->run_id : "direct", *node = ctx->node_id ? ctx->node_id : "publish";
    const char *line = pf_json_str(ctx->context, "order_line_id");
    const char *role = pf_json_str(artifact, "role");
    char *role_slug = pf_strdup(role ? role : "artifact");
    for (char *c = role_slug; *c; c++)
        if (*c == '.') *c = '-';
    char *rel = fill(pf_json_str(params, "path_template"), line ? line : run, role_slug, extension_of(artifact));
    free(role_slug);
    if (!rel) return pf_error_new(PF_EINVAL, "/params/path_template", "the path must stay inside the channel");
    char *key = pf_asprintf("%s/%s", run, node), digest[65];
    pf_sha256_hex(key, strlen(key), digest);
    char *id = pf_asprintf("asset_%.24s", digest);
    const char *channel = pf_json_str(params, "channel");
    char *dest = pf_asprintf("%s/assets/%s/%s", ctx->data_root, channel, rel);
    char *url = pf_asprintf("/published/%s/%s", channel, rel);
    pf_error *err = NULL;
    if (!ctx->shadow) {
        char *dir = pf_strdup(dest);
        *strrchr(dir, '/') = '\0';
        err = pf_mkdirs(dir, 0755);
        if (!err) err = pf_copy_file_atomic(src, dest);
        free(dir);
    }
    if (!err)
        *outputs = json_pack(
            "{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:s, s:b}}", "asset", "id", id, "channel", channel,
            "published_path", dest, "url", url, "sha256", sha, "media_type",
            pf_json_str(artifact, "media_type") ? pf_json_str(artifact, "media_type") : "application/octet-stream",
            "size", json_object_get(artifact, "size") ? json_object_get(artifact, "size") : json_null(), "artifact_id",
            json_object_get(artifact, "artifact_id") ? json_object_get(artifact, "artifact_id") : json_null(),
            "visibility", pf_json_str(params, "visibility"), "shadow", ctx->shadow);
    free(url);
    free(dest);
    free(id);
    free(key);
    free(rel);
    return err;
}

const pf_module_desc pf_module_output_publish_asset = {
    .key = "output.publish_asset",
    .contract_path = "modules/output/publish_asset.json",
    .execute = execute,
};
