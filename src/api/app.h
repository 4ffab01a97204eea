/* The application a server serves: the registry, the store and the
 * documents built once at start-up. Handlers get it read-only. */
#ifndef PF_API_APP_H
#define PF_API_APP_H

#include "modules/external.h"
#include "modules/registry.h"
#include "render/blender_pool.h"
#include "runtime/runtime.h"
#include "store/store.h"

#include <stdatomic.h>
#include <stdint.h>

typedef struct pf_app_config {
    const char *data_dir;  /* state: database, artifacts */
    const char *share_dir; /* starter workflows, libraries */
    const char *store_url; /* NULL: SQLite under data_dir */
    const char *web_dir;   /* the built editor; NULL serves no editor */
    size_t max_body_bytes;
    /* Streamed uploads (CAD files); 0 means 512 MiB. */
    size_t max_upload_bytes;
    /* Uploads stop (507) where the data directory would hold more; 0: no quota. */
    uint64_t disk_quota_bytes;
    int blender_workers;             /* warm Blender processes; 0 renders in fresh ones */
    int run_workers;                 /* graph runtime threads; <= 0 means 2 */
    json_t *settings;                /* operator settings for modules, e.g. {"webhooks": {...}}; borrowed */
    bool resume_runs;                /* the server resumes unfinished runs; a one-off CLI job must not take them over */
    bool demo_data;                  /* seed a fresh data directory with the demo catalog (catalog/seed.h) */
    bool demo_product;               /* ... and its sample product, whose intake starts at once */
    bool secure_cookies;             /* browsers reach the server over https: its session cookie says Secure */
    const char *module_runner;       /* the prodflow binary, for isolated modules (runtime/isolate.h) */
    const pf_limit_override *limits; /* the operator's limits for module children; may be NULL */
    size_t n_limits;
    const pf_remote *remote; /* where process modules run when not here (Celery workers); may be NULL */
    /* With PostgreSQL, several servers share the database: runs are leased
     * for lease_seconds (<= 0: 30) to this server's name, server_id (NULL:
     * a new random one each start, so a restart takes its old runs back
     * only after the lease time). */
    int lease_seconds;
    const char *server_id; /* PF_LEASE_OWNER_CHARS, at most PF_LEASE_OWNER_MAX */
    /* Health says unhealthy while the data directory's file system has
     * fewer free bytes than this; 0: no check. */
    unsigned long long min_free_disk;
} pf_app_config;

typedef struct pf_prebuilt {
    const char *family; /* NULL for "all families" */
    char *body;
    size_t len;
} pf_prebuilt;

typedef struct pf_app {
    pf_external_modules *external; /* DATA/modules: the registry borrows their descriptors */
    pf_registry *registry;
    pf_store *store;
    char *data_dir;
    char *share_dir;
    char *web_dir; /* NULL when no editor is served */
    size_t max_body_bytes;
    size_t max_upload_bytes;
    uint64_t disk_quota_bytes;     /* 0: none */
    char *link_key;                /* signs customers' links (api/links.h): DATA/secrets/links.key */
    json_t *starters;              /* array of starter workflow documents */
    json_t *openapi;               /* the OpenAPI document */
    pf_prebuilt *node_definitions; /* all families first, then one per family */
    size_t n_node_definitions;
    pf_blender_pool *blender_pool; /* NULL without warm workers; processes start on first use */
    pf_runtime *runtime;           /* runs workflow graphs; resumes unfinished runs at start */
    json_t *settings;              /* owned copy of the config's settings */
    struct pf_login *login;        /* this start's one-time sign-in code (api/auth.h) */
    struct pf_event_hub *events;   /* open event streams, woken by the runtime (api/event_hub.h) */
    bool secure_cookies;
    char *server_id; /* the name this server leases runs under (PostgreSQL) */
    /* Requests by route and status, and their latencies (api/http_metrics.h):
     * atomics, written by the server's threads through this const app. */
    struct pf_http_metrics *http_metrics;
    unsigned long long min_free_disk; /* bytes; 0: no check */
    /* Scene uploads being checked in Blender now (handlers_scenes.c):
     * each holds a request thread and a Blender, so they are counted and
     * capped. Owned; written through this const app. */
    atomic_int *scene_checks;
} pf_app;

/* Builds everything; problems go to errs and the result is NULL. */
pf_app *pf_app_open(const pf_app_config *cfg, pf_errors *errs);
void pf_app_close(pf_app *app);

/* Loads share_dir/workflows/ *.json; new reference or NULL with errs set. */
json_t *pf_starters_load(const char *share_dir, pf_errors *errs);

#endif
