/* Render templates: the shipped set is valid, and resolution follows the
 * documented order (explicit, then category, then the "*" default, then
 * priority) and says why. */
#include "check.h"

#include "core/mem.h"
#include "core/path.h"
#include "render/template.h"
#include "support/tmpdir.h"

#include <stdlib.h>

#define SHARE PF_SOURCE_DIR "/share"

static void write(const char *dir, const char *name, const char *text) {
    char *path = pf_asprintf("%s/templates/%s", dir, name);
    pf_error *err = pf_write_file_atomic(path, text, strlen(text));
    CHECK(err == NULL);
    pf_error_free(err);
    free(path);
}

static const char *resolve_key(const pf_template_set *set, const char *explicit_key, const char *category,
                               const char *kind, char *reason, size_t reason_len, pf_error **err_out) {
    static char key[64];
    json_t *chosen = NULL;
    pf_error *err = pf_template_resolve(set, explicit_key, category, kind, &chosen);
    key[0] = '\0';
    if (chosen) {
        snprintf(key, sizeof key, "%s", json_string_value(json_object_get(chosen, "key")));
        snprintf(reason, reason_len, "%s", json_string_value(json_object_get(chosen, "reason")));
    }
    json_decref(chosen);
    if (err_out)
        *err_out = err;
    else
        pf_error_free(err);
    return key;
}

static void test_shipped(void) {
    pf_template_set set;
    pf_templates_load(SHARE, NULL, &set);
    CHECK(json_object_size(set.templates) >= 4);
    CHECK_MSG(json_object_size(set.problems) == 0, "%s", json_dumps(set.problems, 0));
    char reason[256];
    /* every artifact kind has a default */
    const char *kinds[] = {"still_image", "turntable_video", "production_blend", "preview_thumbnail"};
    for (size_t i = 0; i < 4; i++)
        CHECK(*resolve_key(&set, NULL, NULL, kinds[i], reason, sizeof reason, NULL));
    CHECK_STR(resolve_key(&set, NULL, NULL, "still_image", reason, sizeof reason, NULL), "studio_white");
    CHECK(strstr(reason, "default for still_image") != NULL);
    CHECK_STR(resolve_key(&set, NULL, NULL, "turntable_video", reason, sizeof reason, NULL), "turntable_soft");
    CHECK_STR(resolve_key(&set, "studio_dark", NULL, "still_image", reason, sizeof reason, NULL), "studio_dark");
    CHECK_STR(reason, "explicit choice");

    pf_error *err = NULL;
    resolve_key(&set, "nope", NULL, "still_image", reason, sizeof reason, &err);
    CHECK(err && err->code == PF_ENOTFOUND);
    CHECK_STR(err ? err->pointer : NULL, "/params/template");
    CHECK(err && strstr(err->message, "studio_white"));
    pf_error_free(err);
    /* a template that does not make the kind asked for */
    resolve_key(&set, "thumbnail", NULL, "turntable_video", reason, sizeof reason, &err);
    CHECK(err && err->code == PF_EINVAL);
    pf_error_free(err);
    pf_template_set_free(&set);
}

static void test_data_directory(void) {
    char *data = pf_test_tmpdir("render-templates");
    char *dir = pf_asprintf("%s/templates", data);
    pf_error *err = pf_mkdirs(dir, 0755);
    CHECK(err == NULL);
    pf_error_free(err);
    /* a category template, an override of a shipped key, and broken files */
    write(
        data, "chairs.json",
        "{\"key\":\"chairs\",\"label\":\"Chairs\",\"kind\":\"studio\",\"categories\":[\"chairs\"],"
        "\"artifact_kinds\":[\"still_image\"],\"camera\":{\"azimuth_deg\":0,\"elevation_deg\":10,\"lens_mm\":50,"
        "\"distance_factor\":1,\"margin\":0.1},\"lights\":{\"preset\":\"softbox\"},\"backdrop\":{\"type\":\"none\"}}");
    write(data, "mine.json",
          "{\"key\":\"studio_white\",\"label\":\"Mine\",\"kind\":\"studio\",\"categories\":[\"*\"],"
          "\"artifact_kinds\":[\"still_image\"],\"priority\":50,\"camera\":{\"azimuth_deg\":0,\"elevation_deg\":10,"
          "\"lens_mm\":50,\"distance_factor\":1,\"margin\":0.1},\"lights\":{\"preset\":\"softbox\"},"
          "\"backdrop\":{\"type\":\"none\"}}");
    write(data, "bad_lens.json",
          "{\"key\":\"bad_lens\",\"label\":\"B\",\"kind\":\"studio\",\"categories\":[\"*\"],\"artifact_kinds\":"
          "[\"still_image\"],\"camera\":{\"azimuth_deg\":0,\"elevation_deg\":10,\"lens_mm\":1,\"distance_factor\":1,"
          "\"margin\":0.1},\"lights\":{\"preset\":\"softbox\"},\"backdrop\":{\"type\":\"none\"}}");
    write(data, "no_lights.json",
          "{\"key\":\"no_lights\",\"label\":\"N\",\"kind\":\"studio\",\"categories\":[\"*\"],"
          "\"artifact_kinds\":[\"still_image\"]}");
    write(data, "scene.json",
          "{\"key\":\"scene\",\"label\":\"S\",\"kind\":\"blend_scene\",\"categories\":[\"*\"],"
          "\"artifact_kinds\":[\"still_image\"],\"blend\":\"missing\",\"collection\":\"Product\"}");
    /* a path, however spelled, is not a scene key: refused without a look at the file */
    const char *paths[] = {"/etc/passwd", "../../etc/passwd", "..", "%2e%2e%2fetc%2fpasswd", "hero.blend", "a\\\\b"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        char *name = pf_asprintf("path%zu.json", i);
        char *doc = pf_asprintf("{\"key\":\"path%zu\",\"label\":\"P\",\"kind\":\"blend_scene\",\"categories\":[\"*\"],"
                                "\"artifact_kinds\":[\"still_image\"],\"blend\":\"%s\",\"collection\":\"C\"}",
                                i, paths[i]);
        write(data, name, doc);
        free(doc);
        free(name);
    }
    write(data, "garbage.json", "{not json");

    pf_template_set set;
    pf_templates_load(SHARE, data, &set);
    char reason[256];
    CHECK_STR(resolve_key(&set, NULL, "chairs", "still_image", reason, sizeof reason, NULL), "chairs");
    CHECK(strstr(reason, "category \"chairs\"") != NULL);
    /* the data directory's studio_white replaced the shipped one */
    CHECK_STR(json_string_value(json_object_get(json_object_get(set.templates, "studio_white"), "label")), "Mine");
    const json_t *p = set.problems;
    CHECK(strstr(json_string_value(json_object_get(p, "bad_lens")), "/camera/lens_mm") != NULL);
    /* a problem names the file as the data directory's, not where it is kept */
    CHECK_MSG(strncmp(json_string_value(json_object_get(p, "bad_lens")), "DATA/templates/bad_lens.json: ", 30) == 0,
              "%s", json_string_value(json_object_get(p, "bad_lens")));
    CHECK(strstr(json_string_value(json_object_get(p, "no_lights")), "/camera") != NULL);
    CHECK(strstr(json_string_value(json_object_get(p, "scene")), "/blend: no scene \"missing\" has been uploaded") !=
          NULL);
    for (size_t i = 0; i < 6; i++) {
        char key[16];
        snprintf(key, sizeof key, "path%zu", i);
        const char *why = json_string_value(json_object_get(p, key));
        CHECK_MSG(why && strstr(why, "/blend: a scene is named by its key") && !strstr(why, "exist") &&
                      !strstr(why, "cannot"),
                  "%s: %s", key, why ? why : "(accepted)");
    }
    CHECK(strstr(json_string_value(json_object_get(p, "garbage")), "not JSON") != NULL);
    /* asking for a refused template says why it was refused */
    err = NULL;
    resolve_key(&set, "scene", NULL, "still_image", reason, sizeof reason, &err);
    CHECK(err && err->code == PF_EINVAL && strstr(err->message, "has been uploaded"));
    pf_error_free(err);
    pf_template_set_free(&set);
    free(dir);
    free(data);
}

int main(void) {
    test_shipped();
    test_data_directory();
    return pf_check_done("render_template");
}
