/* GET /metrics: the Prometheus text exposition (format 0.0.4). Every part
 * writes its own families from its own atomics; nothing here is kept
 * between scrapes. */
#include "api/event_hub.h"
#include "api/http_metrics.h"
#include "api/router.h"

#include "core/metrics.h"

#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

static void blender_metrics(const pf_app *app, FILE *out) {
    json_t *st = app->blender_pool ? pf_blender_pool_status(app->blender_pool) : NULL;
    size_t busy = 0, idle = 0, stopped = 0, i;
    json_t *w;
    json_array_foreach(json_object_get(st, "workers"), i, w) {
        if (json_is_true(json_object_get(w, "busy")))
            busy++;
        else if (json_integer_value(json_object_get(w, "pid")) > 0)
            idle++;
        else
            stopped++;
    }
    pf_metrics_header(out, "prodflow_blender_workers", "gauge",
                      "Warm Blender worker slots: busy rendering, idle (started), or not started");
    pf_metrics_sample(out, "prodflow_blender_workers", "state=\"busy\"", (double)busy);
    pf_metrics_sample(out, "prodflow_blender_workers", "state=\"idle\"", (double)idle);
    pf_metrics_sample(out, "prodflow_blender_workers", "state=\"stopped\"", (double)stopped);
    pf_metrics_header(out, "prodflow_blender_jobs_total", "counter", "Renders the warm Blender workers ran");
    pf_metrics_sample(out, "prodflow_blender_jobs_total", "", (double)json_integer_value(json_object_get(st, "jobs")));
    pf_metrics_header(out, "prodflow_blender_fallbacks_total", "counter",
                      "Renders that fell back to a fresh Blender process");
    pf_metrics_sample(out, "prodflow_blender_fallbacks_total", "",
                      (double)json_integer_value(json_object_get(st, "fallbacks")));
    json_decref(st);
}

static void disk_metrics(const pf_app *app, FILE *out) {
    struct statvfs fs;
    if (statvfs(app->data_dir, &fs) != 0) return;
    double size = (double)fs.f_blocks * (double)fs.f_frsize, avail = (double)fs.f_bavail * (double)fs.f_frsize,
           free_all = (double)fs.f_bfree * (double)fs.f_frsize;
    pf_metrics_header(out, "prodflow_data_dir_disk_size_bytes", "gauge",
                      "Size of the file system holding the data directory");
    pf_metrics_sample(out, "prodflow_data_dir_disk_size_bytes", "", size);
    pf_metrics_header(out, "prodflow_data_dir_disk_free_bytes", "gauge",
                      "Bytes of that file system available to the server");
    pf_metrics_sample(out, "prodflow_data_dir_disk_free_bytes", "", avail);
    pf_metrics_header(out, "prodflow_data_dir_disk_used_bytes", "gauge", "Bytes of that file system in use");
    pf_metrics_sample(out, "prodflow_data_dir_disk_used_bytes", "", size - free_all);
    pf_metrics_header(out, "prodflow_data_dir_disk_min_free_bytes", "gauge",
                      "The free space below which /api/health reports unhealthy (--min-free-disk; 0: no check)");
    pf_metrics_sample(out, "prodflow_data_dir_disk_min_free_bytes", "", (double)app->min_free_disk);
}

void pf_handle_metrics(const pf_app *app, const pf_request *req, pf_response *res) {
    (void)req;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) abort();
    pf_metrics_header(out, "prodflow_build_info", "gauge", "The running Prodflow's version and store backend");
    char labels[160];
    snprintf(labels, sizeof labels, "version=\"%s\",store=\"%s\"", PF_VERSION, pf_store_backend(app->store));
    pf_metrics_sample(out, "prodflow_build_info", labels, 1);
    pf_http_metrics_write(app->http_metrics, out);
    size_t open, parked;
    pf_event_hub_count(app->events, &open, &parked);
    pf_metrics_header(out, "prodflow_event_streams", "gauge", "Open run event streams, and those parked waiting");
    pf_metrics_sample(out, "prodflow_event_streams", "state=\"open\"", (double)open);
    pf_metrics_sample(out, "prodflow_event_streams", "state=\"waiting\"", (double)parked);
    pf_runtime_metrics_write(app->runtime, out);
    blender_metrics(app, out);
    pf_store_metrics_write(app->store, out);
    disk_metrics(app, out);
    fclose(out);
    pf_respond_text(res, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}
