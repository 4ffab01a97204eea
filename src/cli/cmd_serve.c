/* prodflow serve: the API (and later the editor and executors) in one process. */
#include "api/auth.h"
#include "api/server.h"
#include "cli/cli.h"
#include "core/bytes.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/secret.h"
#include "transport/celery_executor.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out) {
    fputs(
        "Usage: prodflow serve [options]\n\n"
        "Serves the HTTP API at http://BIND:PORT until SIGINT or SIGTERM.\n\n"
        "Options:\n"
        "  --port N          TCP port (default 8080; 0 picks a free one)\n"
        "  --bind ADDR       IPv4 address to listen on (default 127.0.0.1); another address needs\n"
        "                    an API token (prodflow token create) and should have --public-url https://...\n"
        "  --public-url URL  the address browsers and workers use, e.g. https://prodflow.example.com;\n"
        "                    requests for any other host are refused\n"
        "  --allow-origin URL  another origin a browser may call the API from (repeatable)\n"
        "  --data-dir DIR    state: database and artifacts (default ./var)\n"
        "  --share-dir DIR   starter workflows and libraries (default: the build's share/)\n"
        "  --store URL       sqlite:PATH, a directory, or postgresql://... (default: $PRODFLOW_STORE, else DATA_DIR)\n"
        "  --web-dir DIR     the built editor to serve at / (default: the build's web/dist; \"\" for none)\n"
        "  --threads N       HTTP thread pool size (default: number of cores)\n"
        "  --max-body BYTES  request body limit (default 8388608)\n"
        "  --max-upload BYTES  CAD upload limit, streamed to disk (default 536870912)\n"
        "  --disk-quota BYTES  uploads are refused with 507 once the data directory would hold more\n"
        "                    (default: none)\n"
        "  --max-connections N  open connections at most (default 1024)\n"
        "  --max-per-client N   open connections from one address at most (default 128)\n"
        "  --client-timeout S   close a connection idle for S seconds (default 15)\n"
        "  --blender-workers N  warm Blender processes for renders (default 1; 0 starts one per render)\n"
        "  --run-workers N   threads that run workflow nodes (default 2; 32 with --broker, where they wait)\n"
        "  --broker URL      send heavy modules as Celery tasks through this Redis to `prodflow worker`s\n"
        "                    (redis://[USER:PASSWORD@]HOST:PORT/DB; $PRODFLOW_BROKER; docs/scale-out.md)\n"
        "  --memory-limit [QUEUE=]SIZE  resident memory a module's process may use, for every queue or one\n"
        "                    (cad, render, default); the contracts say 6G for CAD, 4-8G for renders (repeatable)\n"
        "  --cpu-limit [QUEUE=]SECONDS  CPU time a module's process may use (repeatable)\n"
        "  --file-limit [QUEUE=]SIZE  the largest file a module's process may write; the contracts say 8G for\n"
        "                    CAD (repeatable; with --disk-quota, the room it leaves when smaller)\n"
        "  --webhook-allow URL  an origin (scheme://host[:port], optionally with a path prefix) output.notify\n"
        "                    may post to (repeatable)\n"
        "  --webhook-url URL       the default webhook for output.notify\n"
        "  --webhook-secret-file FILE  signs webhook bodies (HMAC-SHA256; default DATA_DIR/secrets/webhook.key,\n"
        "                    made on first start)\n"
        "  --lease-seconds S   with PostgreSQL, how long a run stays leased to this server without renewal:\n"
        "                    a server that dies loses its runs to the others after S seconds (default 30)\n"
        "  --server-id NAME  with PostgreSQL, the name this server leases runs under (unique among the\n"
        "                    servers; default: new each start); a server restarted under its old name takes\n"
        "                    its runs back at once\n"
        "  --min-free-disk BYTES  /api/health answers 503 while the data directory's file system has less\n"
        "                    free space (\"2G\", \"500M\"; default 100M; 0: no check)\n"
        "  --no-demo-data    leave a fresh data directory empty (no demo categories, tier, output types)\n"
        "  --port-file FILE  write the bound port to FILE once listening\n"
        "  -h, --help        this help\n",
        out);
}

static bool is_loopback(const char *bind) { return strncmp(bind, "127.", 4) == 0; }

/* Serving beyond this machine: without any token nobody could sign in but
 * through the start-up link, so refuse; without an https public address
 * tokens would cross the network in clear, so warn. */
static bool network_ready(const pf_server_opts *o, pf_app *app) {
    if (is_loopback(o->bind)) return true;
    if (!pf_token_any_usable(app->store)) {
        fprintf(stderr,
                "prodflow serve: refusing to listen on %s with no API token: create one first with\n"
                "  prodflow token create --name NAME --role admin%s%s\n",
                o->bind, app->data_dir ? " --data-dir " : "", app->data_dir ? app->data_dir : "");
        return false;
    }
    if (!o->public_url || strncmp(o->public_url, "https://", 8) != 0)
        pf_log(PF_LOG_WARN, "server.unencrypted",
               "listening on %s without an https:// --public-url: tokens and data cross the network unencrypted; put "
               "a TLS proxy in front and give its address with --public-url",
               o->bind);
    return true;
}

/* Everything the command line says. */
typedef struct {
    pf_server_opts sopts;
    pf_app_config cfg;
    const char *port_file;
    const char *origins[17];
    size_t n_origins;
    pf_limit_override limits[16];
    size_t n_limits;
    json_t *settings; /* {"webhooks": {allow, url?, secret?}} */
    char *self;       /* this binary, which isolated modules run as */
    const char *broker;
} serve_args;

static void args_free(serve_args *a) {
    json_decref(a->settings);
    pf_cli_limits_free(a->limits, a->n_limits);
    free(a->self);
}

static bool read_secret(const char *file, json_t *hooks) {
    char *secret = NULL;
    size_t len = 0;
    pf_error *err = pf_read_file(file, 4096, &secret, &len);
    if (err) {
        fprintf(stderr, "prodflow serve: --webhook-secret-file: %s\n", err->message);
        pf_error_free(err);
        return false;
    }
    while (len && (secret[len - 1] == '\n' || secret[len - 1] == '\r'))
        secret[--len] = '\0';
    json_object_set_new(hooks, "secret", json_string(secret));
    free(secret);
    return true;
}

/* Every delivery is signed: without a secret given, the server keeps its own. */
static bool own_secret(const char *data_dir, json_t *hooks) {
    if (json_object_get(hooks, "secret")) return true;
    char *key = pf_asprintf("%s/secrets/webhook.key", data_dir), *secret = NULL;
    pf_error *err = pf_secret_load_or_create(key, &secret);
    free(key);
    if (err) {
        fprintf(stderr, "prodflow serve: the webhook secret: %s\n", err->message);
        pf_error_free(err);
        return false;
    }
    json_object_set_new(hooks, "secret", json_string(secret));
    free(secret);
    return true;
}

/* PF_EXIT_OK, or the exit code of a usage error (said on stderr). */
static int parse(int argc, char **argv, serve_args *a) {
    static const struct option opts[] = {
        {"port", required_argument, 0, 'p'},           {"bind", required_argument, 0, 'b'},
        {"data-dir", required_argument, 0, 'd'},       {"share-dir", required_argument, 0, 's'},
        {"store", required_argument, 0, 'S'},          {"threads", required_argument, 0, 't'},
        {"max-body", required_argument, 0, 'm'},       {"port-file", required_argument, 0, 'f'},
        {"web-dir", required_argument, 0, 'w'},        {"blender-workers", required_argument, 0, 'B'},
        {"run-workers", required_argument, 0, 'R'},    {"webhook-allow", required_argument, 0, 'A'},
        {"webhook-url", required_argument, 0, 'U'},    {"webhook-secret-file", required_argument, 0, 'K'},
        {"max-upload", required_argument, 0, 'M'},     {"disk-quota", required_argument, 0, 'q'},
        {"no-demo-data", no_argument, 0, 'N'},         {"public-url", required_argument, 0, 'P'},
        {"allow-origin", required_argument, 0, 'O'},   {"max-connections", required_argument, 0, 'C'},
        {"max-per-client", required_argument, 0, 'c'}, {"client-timeout", required_argument, 0, 'T'},
        {"memory-limit", required_argument, 0, 'L'},   {"cpu-limit", required_argument, 0, 'X'},
        {"file-limit", required_argument, 0, 'F'},     {"broker", required_argument, 0, 'Q'},
        {"lease-seconds", required_argument, 0, 'l'},  {"server-id", required_argument, 0, 'i'},
        {"min-free-disk", required_argument, 0, 'D'},  {0, 0, 0, 0},
    };
    json_t *hooks = json_object_get(a->settings, "webhooks");
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'p': {
            long port = strtol(optarg, &end, 10);
            if (*end || port < 0 || port > 65535) {
                fprintf(stderr, "prodflow serve: --port must be 0..65535, not \"%s\"\n", optarg);
                return PF_EXIT_USAGE;
            }
            a->sopts.port = (uint16_t)port;
            break;
        }
        case 'b': a->sopts.bind = optarg; break;
        case 'd': a->cfg.data_dir = optarg; break;
        case 's': a->cfg.share_dir = optarg; break;
        case 'S': a->cfg.store_url = optarg; break;
        case 't': a->sopts.threads = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'm': a->cfg.max_body_bytes = strtoull(optarg, NULL, 10); break;
        case 'N': a->cfg.demo_data = a->cfg.demo_product = false; break;
        case 'M': {
            unsigned long long bytes = strtoull(optarg, &end, 10);
            if (*end || !*optarg || *optarg == '-' || bytes == 0) {
                fprintf(stderr, "prodflow serve: --max-upload must be a positive number of bytes, not \"%s\"\n",
                        optarg);
                return PF_EXIT_USAGE;
            }
            a->cfg.max_upload_bytes = (size_t)bytes;
            break;
        }
        case 'q': {
            unsigned long long bytes = strtoull(optarg, &end, 10);
            if (*end || !*optarg || *optarg == '-' || bytes == 0) {
                fprintf(stderr, "prodflow serve: --disk-quota must be a positive number of bytes, not \"%s\"\n",
                        optarg);
                return PF_EXIT_USAGE;
            }
            a->cfg.disk_quota_bytes = (uint64_t)bytes;
            break;
        }
        case 'f': a->port_file = optarg; break;
        case 'P': a->sopts.public_url = optarg; break;
        case 'O':
            if (a->n_origins == 16) {
                fputs("prodflow serve: at most 16 --allow-origin\n", stderr);
                return PF_EXIT_USAGE;
            }
            a->origins[a->n_origins++] = optarg;
            break;
        case 'C': a->sopts.max_connections = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'c': a->sopts.max_per_client = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'T': a->sopts.client_timeout_s = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'L':
        case 'F':
        case 'X':
            if (!pf_cli_limit(c, optarg, a->limits, 16, &a->n_limits)) return PF_EXIT_USAGE;
            break;
        case 'w': a->cfg.web_dir = *optarg ? optarg : NULL; break;
        case 'B': a->cfg.blender_workers = atoi(optarg); break;
        case 'R': a->cfg.run_workers = atoi(optarg); break;
        case 'A': json_array_append_new(json_object_get(hooks, "allow"), json_string(optarg)); break;
        case 'U': json_object_set_new(hooks, "url", json_string(optarg)); break;
        case 'K':
            if (!read_secret(optarg, hooks)) return PF_EXIT_USAGE;
            break;
        case 'Q': a->broker = optarg; break;
        case 'l': {
            long secs = strtol(optarg, &end, 10);
            if (*end || !*optarg || secs < 1 || secs > 86400) {
                fprintf(stderr, "prodflow serve: --lease-seconds must be 1..86400, not \"%s\"\n", optarg);
                return PF_EXIT_USAGE;
            }
            a->cfg.lease_seconds = (int)secs;
            break;
        }
        case 'i':
            /* It names the server's database session too (pf_store_listen),
             * which holds 63 bytes of printable ASCII. */
            if (!*optarg || strlen(optarg) > PF_LEASE_OWNER_MAX ||
                strspn(optarg, PF_LEASE_OWNER_CHARS) != strlen(optarg)) {
                fprintf(stderr,
                        "prodflow serve: --server-id must be 1..%d letters, digits, '.', '_' or '-', not \"%s\"\n",
                        PF_LEASE_OWNER_MAX, optarg);
                return PF_EXIT_USAGE;
            }
            a->cfg.server_id = optarg;
            break;
        case 'D':
            if (strcmp(optarg, "0") == 0)
                a->cfg.min_free_disk = 0;
            else if (!pf_bytes_parse(optarg, &a->cfg.min_free_disk)) {
                fprintf(stderr, "prodflow serve: --min-free-disk must be a size such as 2G or 500M, or 0, not \"%s\"\n",
                        optarg);
                return PF_EXIT_USAGE;
            }
            break;
        default: return PF_EXIT_USAGE; /* getopt said what */
        }
    }
    if (optind != argc) {
        fprintf(stderr, "prodflow serve: unexpected argument \"%s\"; serve takes options only\n", argv[optind]);
        return PF_EXIT_USAGE;
    }
    return PF_EXIT_OK;
}

static void write_port_file(const char *path, unsigned port) {
    FILE *f = path ? fopen(path, "w") : NULL;
    if (!f) return;
    fprintf(f, "%u\n", port);
    fclose(f);
}

/* Serves app until SIGINT or SIGTERM (blocked in stop). */
static int serve_app(serve_args *a, const sigset_t *stop) {
    pf_server_opts *sopts = &a->sopts;
    pf_app_config *cfg = &a->cfg;
    pf_errors errs;
    pf_errors_init(&errs);
    pf_app *app = pf_app_open(cfg, &errs);
    if (!app) {
        pf_cli_print_errors(stderr, "prodflow serve", &errs);
        pf_errors_clear(&errs);
        return PF_EXIT_FAILED;
    }
    pf_server *srv = NULL;
    pf_error *err = network_ready(sopts, app) ? pf_server_start(sopts, app, &srv) : NULL;
    if (!srv) {
        if (err) fprintf(stderr, "prodflow serve: %s\n", err->message);
        pf_error_free(err);
        pf_app_close(app);
        return PF_EXIT_FAILED;
    }
    unsigned port = pf_server_port(srv);
    write_port_file(a->port_file, port);
    json_t *fields = json_pack("{s:s, s:i, s:s, s:s, s:b}", "bind", sopts->bind, "port", (int)port, "data_dir",
                               cfg->data_dir, "store", pf_store_backend(app->store), "broker", cfg->remote != NULL);
    pf_log_fields(PF_LOG_INFO, "server.listening", fields, "Prodflow is serving at http://%s:%u", sopts->bind, port);
    json_decref(fields);
    /* The one-time sign-in link, for the person who started the server. */
    fprintf(stderr, "\n  Sign in to the editor (the link works once): %s/#login=%s\n\n", pf_server_origin(srv),
            pf_login_code(app->login));
    int sig = 0;
    sigwait(stop, &sig);
    pf_log(PF_LOG_INFO, "server.stopping", "received signal %d", sig);
    pf_server_stop(srv);
    pf_app_close(app);
    return PF_EXIT_OK;
}

static int serve(serve_args *a) {
    pf_server_opts *sopts = &a->sopts;
    pf_app_config *cfg = &a->cfg;
    sopts->allow_origins = a->origins;
    if (!own_secret(cfg->data_dir, json_object_get(a->settings, "webhooks"))) return PF_EXIT_FAILED;
    cfg->secure_cookies = sopts->public_url && strncmp(sopts->public_url, "https://", 8) == 0;
    const char *location = pf_cli_store_location(cfg->data_dir, cfg->store_url);
    cfg->store_url = location == cfg->data_dir ? NULL : location;
    cfg->module_runner = a->self = pf_cli_self();
    cfg->limits = a->limits;
    cfg->n_limits = a->n_limits;
    /* Block the stop signals before any thread starts so only sigwait sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    pf_celery_client *broker = NULL;
    pf_celery_executor *remote = NULL;
    if (a->broker) {
        pf_error *err = pf_celery_client_open(a->broker, &broker);
        if (err) {
            fprintf(stderr, "prodflow serve: --broker: %s\n", err->message);
            pf_error_free(err);
            return PF_EXIT_FAILED;
        }
        remote = pf_celery_executor_new(broker, cfg->data_dir);
        cfg->remote = pf_celery_executor_remote(remote);
        if (cfg->run_workers <= 0) cfg->run_workers = 32; /* they wait on the workers, not on this machine */
    }
    int rc = serve_app(a, &stop);
    pf_celery_executor_free(remote);
    pf_celery_client_close(broker);
    return rc;
}

static int run(int argc, char **argv) {
    pf_heap_for_runs();
    serve_args a = {.broker = getenv("PRODFLOW_BROKER"),
                    .sopts = {.bind = "127.0.0.1", .port = 8080},
                    .cfg = {.data_dir = "./var",
                            .share_dir = pf_cli_share_dir(),
                            .web_dir = pf_cli_web_dir(),
                            .blender_workers = 1,
                            .resume_runs = true,
                            .demo_data = true,
                            .min_free_disk = 100ull << 20,
                            .demo_product = true},
                    .settings = json_pack("{s:{s:[]}}", "webhooks", "allow")};
    a.cfg.settings = a.settings; /* the app keeps its own copy */
    int rc = parse(argc, argv, &a);
    if (rc == PF_EXIT_OK) {
        pf_cli_dir data = pf_cli_dir_note(a.cfg.data_dir); /* a server that cannot start takes back the ./var it made */
        rc = serve(&a);
        pf_cli_dir_undo(&data, rc, true);
    }
    args_free(&a);
    return rc;
}

const pf_command pf_cmd_serve = {"serve", "serve the HTTP API", run, usage};
