/* The editor's static files: web/dist served at "/", with index.html for
 * every path the single-page app routes itself; and published assets,
 * DATA/assets/<channel>/<path>, at their stable URL /published/<channel>/<path>. */
#include "api/static.h"

#include "core/mem.h"
#include "core/path.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *ext, *type;
} media_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".map", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
    {".webp", "image/webp"},
    {".mp4", "video/mp4"},
    {".glb", "model/gltf-binary"},
    {".blend", "application/x-blender"},
    {".step", "model/step"}, /* published assets are named for their media type (output.publish_asset) */
};

static const char *media_type(const char *path) {
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof media_types / sizeof *media_types; i++)
        if (strcmp(dot, media_types[i].ext) == 0) return media_types[i].type;
    return "application/octet-stream";
}

static bool serve_file(const char *root, const char *rel, pf_response *res) {
    char *resolved = NULL;
    pf_error *err = pf_path_resolve_within(root, rel, &resolved);
    if (err) {
        pf_error_free(err);
        return false;
    }
    char *data = NULL;
    size_t len = 0;
    err = pf_read_file(resolved, 64u << 20, &data, &len);
    bool ok = err == NULL;
    if (ok) pf_respond_text(res, 200, media_type(resolved), data, len);
    pf_error_free(err);
    free(resolved);
    return ok;
}

/* Shown at "/" when no editor was built, so a newcomer sees what runs. */
static const char no_editor_page[] =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>Prodflow</title></head>"
    "<body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\"><h1>Prodflow</h1>"
    "<p>The API is running. The editor is not built into this server.</p><ul>"
    "<li><a href=\"/api/health\">/api/health</a></li>"
    "<li><a href=\"/api/openapi.json\">/api/openapi.json</a>: the API description</li>"
    "<li><a href=\"/api/workflows/node-definitions\">/api/workflows/node-definitions</a></li>"
    "<li><a href=\"/api/workflows/starters\">/api/workflows/starters</a></li></ul></body></html>";

/* A published asset, streamed with byte ranges like an artifact. */
static bool serve_published(const pf_app *app, const pf_request *req, pf_response *res) {
    char *root = pf_asprintf("%s/assets", app->data_dir), *resolved = NULL;
    pf_error *err = pf_path_resolve_within(root, req->path + strlen("/published/"), &resolved);
    int fd = err ? -1 : open(resolved, O_RDONLY | O_CLOEXEC);
    struct stat st;
    bool ok = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    if (ok)
        pf_respond_file(res, req, fd, (uint64_t)st.st_size, media_type(resolved), NULL);
    else if (fd >= 0)
        close(fd);
    pf_error_free(err);
    free(resolved);
    free(root);
    return ok;
}

bool pf_static_serve(const pf_app *app, const pf_request *req, pf_response *res) {
    if (strcmp(req->method, "GET") != 0 || strncmp(req->path, "/api/", 5) == 0) return false;
    if (strncmp(req->path, "/published/", 11) == 0) return serve_published(app, req, res);
    if (!app->web_dir) {
        if (strcmp(req->path, "/") != 0) return false;
        pf_respond_static(res, 200, "text/html; charset=utf-8", no_editor_page, sizeof no_editor_page - 1);
        return true;
    }
    const char *rel = req->path[1] ? req->path + 1 : "index.html";
    if (strstr(rel, "..")) return false;
    if (serve_file(app->web_dir, rel, res)) return true;
    /* Unknown files under assets/ are real 404s; other paths are app routes. */
    if (strncmp(rel, "assets/", 7) == 0) return false;
    return serve_file(app->web_dir, "index.html", res);
}

/* GET /api/docs: the API reference is a page of the editor (it renders
 * /api/openapi.json); declared in the route table so no other /api/ rule
 * shadows it, and public like the document. */
void pf_handle_api_docs(const pf_app *app, const pf_request *req, pf_response *res) {
    (void)req;
    if (app->web_dir && serve_file(app->web_dir, "index.html", res)) return;
    pf_respond_static(res, 200, "text/html; charset=utf-8", no_editor_page, sizeof no_editor_page - 1);
}
