/* output.publish_asset and output.notify through the module layer: the same
 * (run, node) publishes to the same place, a path cannot leave its channel,
 * notify only posts to allowed URLs, and shadow mode does neither. */
#include "check.h"
#include "core/json.h"

#include "core/mem.h"
#include "core/path.h"
#include "modules/invoke.h"
#include "support/tmpdir.h"
#include "support/webhook.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pf_error *invoke(const pf_registry *reg, const char *key, pf_module_ctx *ctx, json_t *inputs, json_t *params,
                        json_t **out) {
    *out = NULL;
    pf_error *err = pf_module_invoke(reg, key, ctx, inputs, params, out);
    json_decref(inputs);
    json_decref(params);
    return err;
}

int main(void) {
    pf_errors errs;
    pf_errors_init(&errs);
    pf_registry *reg = pf_registry_load(&errs);
    char *data = pf_test_tmpdir("output-modules");
    char *file = pf_asprintf("%s/still.png", data);
    pf_error_free(pf_write_file_atomic(file, "not really a png", 16));
    atomic_bool cancel = false;
    pf_test_webhook *hook = pf_test_webhook_start();
    char *allow = pf_asprintf("http://127.0.0.1:%u/", pf_test_webhook_port(hook));
    json_t *settings = json_pack("{s:{s:[s]}}", "webhooks", "allow", allow);
    pf_module_ctx ctx = {.data_root = data,
                         .work_dir = data,
                         .cancel = &cancel,
                         .run_id = "run_x",
                         .node_id = "pub",
                         .settings = settings};
    json_t *artifact = json_pack("{s:s, s:s, s:s, s:i}", "path", file, "sha256",
                                 "0000000000000000000000000000000000000000000000000000000000000000", "role",
                                 "render.still", "size", 16);

    json_t *out = NULL;
    pf_error *err = invoke(reg, "output.publish_asset", &ctx, json_pack("{s:O}", "artifact", artifact), NULL, &out);
    CHECK(err == NULL);
    const json_t *asset = json_object_get(out, "asset");
    char *expected = pf_asprintf("%s/assets/default/run_x/render-still.png", data);
    CHECK_STR(pf_json_str(asset, "published_path"), expected);
    CHECK_STR(pf_json_str(asset, "url"), "/published/default/run_x/render-still.png");
    CHECK(access(expected, R_OK) == 0);
    json_t *again = NULL;
    pf_error_free(invoke(reg, "output.publish_asset", &ctx, json_pack("{s:O}", "artifact", artifact), NULL, &again));
    CHECK_STR(pf_json_str(json_object_get(again, "asset"), "id"),
              pf_json_str(asset, "id")); /* same run and node, same asset */
    json_decref(again);

    err = invoke(reg, "output.publish_asset", &ctx, json_pack("{s:O}", "artifact", artifact),
                 json_pack("{s:s}", "path_template", "../../etc/{ext}"), &again);
    CHECK(err && strcmp(err->pointer, "/params/path_template") == 0);
    pf_error_free(err);

    /* notify: allowed, refused, missing */
    json_t *ok = NULL;
    char *url = pf_asprintf("%shook", allow);
    err = invoke(reg, "output.notify", &ctx, json_pack("{s:O}", "asset", asset), json_pack("{s:s}", "url", url), &ok);
    CHECK_MSG(err == NULL, "%s", err ? err->message : "");
    pf_error_free(err);
    json_t *got = pf_test_webhook_received(hook);
    CHECK_INT(json_array_size(got), 1);
    CHECK(json_is_null(json_object_get(json_array_get(got, 0), "signature"))); /* no secret, no signature */
    json_decref(got);
    json_decref(ok);
    err = invoke(reg, "output.notify", &ctx, json_pack("{s:O}", "asset", asset),
                 json_pack("{s:s}", "url", "http://example.org/hook"), &ok);
    CHECK(err && err->code == PF_EINVAL && strcmp(err->pointer, "/params/url") == 0 &&
          strstr(err->message, "allow-list"));
    pf_error_free(err);
    err = invoke(reg, "output.notify", &ctx, json_pack("{s:O}", "asset", asset), NULL, &ok);
    CHECK(err && strcmp(err->pointer, "/params/url") == 0 && strstr(err->message, "no webhook URL"));
    pf_error_free(err);

    /* shadow: nothing written, nothing sent */
    ctx.shadow = true;
    ctx.run_id = "run_shadow";
    err = invoke(reg, "output.publish_asset", &ctx, json_pack("{s:O}", "artifact", artifact), NULL, &again);
    CHECK(err == NULL && json_is_true(json_object_get(json_object_get(again, "asset"), "shadow")));
    CHECK(access(pf_json_str(json_object_get(again, "asset"), "published_path"), F_OK) != 0);
    json_decref(again);
    err = invoke(reg, "output.notify", &ctx, json_pack("{s:O}", "asset", asset), json_pack("{s:s}", "url", url), &ok);
    CHECK(err == NULL && json_is_true(json_object_get(json_object_get(ok, "delivery"), "shadow")));
    json_decref(ok);
    got = pf_test_webhook_received(hook);
    CHECK_INT(json_array_size(got), 1);
    json_decref(got);

    json_decref(out);
    json_decref(artifact);
    json_decref(settings);
    free(url);
    free(expected);
    free(allow);
    pf_test_webhook_stop(hook);
    free(file);
    free(data);
    pf_registry_free(reg);
    return pf_check_done("output_modules");
}
