/* prodflow serve: the API (and later the editor and executors) in one process. */
#include "api/auth.h"
#include "api/server.h"
#include "cli/cli.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/path.h"
#include "core/secret.h"

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
        "  --max-connections N  open connections at most (default 1024)\n"
        "  --max-per-client N   open connections from one address at most (default 128)\n"
        "  --client-timeout S   close a connection idle for S seconds (default 15)\n"
        "  --blender-workers N  warm Blender processes for renders (default 1; 0 starts one per render)\n"
        "  --run-workers N   threads that run workflow nodes (default 2)\n"
        "  --webhook-allow URL  an origin (scheme://host[:port], optionally with a path prefix) output.notify\n"
        "                    may post to (repeatable)\n"
        "  --webhook-url URL       the default webhook for output.notify\n"
        "  --webhook-secret-file FILE  signs webhook bodies (HMAC-SHA256; default DATA_DIR/secrets/webhook.key,\n"
        "                    made on first start)\n"
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

static int run(int argc, char **argv) {
    static const struct option opts[] = {
        {"port", required_argument, 0, 'p'},
        {"bind", required_argument, 0, 'b'},
        {"data-dir", required_argument, 0, 'd'},
        {"share-dir", required_argument, 0, 's'},
        {"store", required_argument, 0, 'S'},
        {"threads", required_argument, 0, 't'},
        {"max-body", required_argument, 0, 'm'},
        {"port-file", required_argument, 0, 'f'},
        {"web-dir", required_argument, 0, 'w'},
        {"blender-workers", required_argument, 0, 'B'},
        {"run-workers", required_argument, 0, 'R'},
        {"webhook-allow", required_argument, 0, 'A'},
        {"webhook-url", required_argument, 0, 'U'},
        {"webhook-secret-file", required_argument, 0, 'K'},
        {"max-upload", required_argument, 0, 'M'},
        {"no-demo-data", no_argument, 0, 'N'},
        {"public-url", required_argument, 0, 'P'},
        {"allow-origin", required_argument, 0, 'O'},
        {"max-connections", required_argument, 0, 'C'},
        {"max-per-client", required_argument, 0, 'c'},
        {"client-timeout", required_argument, 0, 'T'},
        {0, 0, 0, 0},
    };
    pf_server_opts sopts = {.bind = "127.0.0.1", .port = 8080};
    pf_app_config cfg = {.data_dir = "./var",
                         .share_dir = pf_cli_share_dir(),
                         .web_dir = pf_cli_web_dir(),
                         .blender_workers = 1,
                         .resume_runs = true,
                         .demo_data = true,
                         .demo_product = true};
    const char *port_file = NULL;
    const char *origins[17] = {0};
    size_t n_origins = 0;
    json_t *settings = json_pack("{s:{s:[]}}", "webhooks", "allow"), *hooks = json_object_get(settings, "webhooks");
    cfg.settings = settings;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'p': {
            long port = strtol(optarg, &end, 10);
            if (*end || port < 0 || port > 65535) {
                fprintf(stderr, "prodflow serve: --port must be 0..65535, not \"%s\"\n", optarg);
                json_decref(settings);
                return PF_EXIT_USAGE;
            }
            sopts.port = (uint16_t)port;
            break;
        }
        case 'b': sopts.bind = optarg; break;
        case 'd': cfg.data_dir = optarg; break;
        case 's': cfg.share_dir = optarg; break;
        case 'S': cfg.store_url = optarg; break;
        case 't': sopts.threads = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'm': cfg.max_body_bytes = strtoull(optarg, NULL, 10); break;
        case 'N': cfg.demo_data = cfg.demo_product = false; break;
        case 'M': {
            unsigned long long bytes = strtoull(optarg, &end, 10);
            if (*end || !*optarg || *optarg == '-' || bytes == 0) {
                fprintf(stderr, "prodflow serve: --max-upload must be a positive number of bytes, not \"%s\"\n",
                        optarg);
                json_decref(settings);
                return PF_EXIT_USAGE;
            }
            cfg.max_upload_bytes = (size_t)bytes;
            break;
        }
        case 'f': port_file = optarg; break;
        case 'P': sopts.public_url = optarg; break;
        case 'O':
            if (n_origins == 16) {
                fputs("prodflow serve: at most 16 --allow-origin\n", stderr);
                json_decref(settings);
                return PF_EXIT_USAGE;
            }
            origins[n_origins++] = optarg;
            break;
        case 'C': sopts.max_connections = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'c': sopts.max_per_client = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'T': sopts.client_timeout_s = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'w': cfg.web_dir = *optarg ? optarg : NULL; break;
        case 'B': cfg.blender_workers = atoi(optarg); break;
        case 'R': cfg.run_workers = atoi(optarg); break;
        case 'A': json_array_append_new(json_object_get(hooks, "allow"), json_string(optarg)); break;
        case 'U': json_object_set_new(hooks, "url", json_string(optarg)); break;
        case 'K': {
            char *secret = NULL;
            size_t len = 0;
            pf_error *err = pf_read_file(optarg, 4096, &secret, &len);
            if (err) {
                fprintf(stderr, "prodflow serve: --webhook-secret-file: %s\n", err->message);
                pf_error_free(err);
                json_decref(settings);
                return PF_EXIT_USAGE;
            }
            while (len && (secret[len - 1] == '\n' || secret[len - 1] == '\r'))
                secret[--len] = '\0';
            json_object_set_new(hooks, "secret", json_string(secret));
            free(secret);
            break;
        }
        default:
            usage(stderr);
            json_decref(settings);
            return PF_EXIT_USAGE;
        }
    }
    sopts.allow_origins = origins;
    if (!json_object_get(hooks, "secret")) {
        /* Every delivery is signed: without a secret given, the server keeps its own. */
        char *key = pf_asprintf("%s/secrets/webhook.key", cfg.data_dir), *secret = NULL;
        pf_error *err = pf_secret_load_or_create(key, &secret);
        free(key);
        if (err) {
            fprintf(stderr, "prodflow serve: the webhook secret: %s\n", err->message);
            pf_error_free(err);
            json_decref(settings);
            return PF_EXIT_FAILED;
        }
        json_object_set_new(hooks, "secret", json_string(secret));
        free(secret);
    }
    cfg.secure_cookies = sopts.public_url && strncmp(sopts.public_url, "https://", 8) == 0;
    const char *location = pf_cli_store_location(cfg.data_dir, cfg.store_url);
    cfg.store_url = location == cfg.data_dir ? NULL : location;
    /* Block the stop signals before any thread starts so only sigwait sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    pf_errors errs;
    pf_errors_init(&errs);
    pf_app *app = pf_app_open(&cfg, &errs);
    json_decref(settings); /* the app keeps its own copy */
    if (!app) {
        pf_cli_print_errors(stderr, "prodflow serve", &errs);
        pf_errors_clear(&errs);
        return PF_EXIT_FAILED;
    }
    if (!network_ready(&sopts, app)) {
        pf_app_close(app);
        return PF_EXIT_FAILED;
    }
    pf_server *srv = NULL;
    pf_error *err = pf_server_start(&sopts, app, &srv);
    if (err) {
        fprintf(stderr, "prodflow serve: %s\n", err->message);
        pf_error_free(err);
        pf_app_close(app);
        return PF_EXIT_FAILED;
    }
    unsigned port = pf_server_port(srv);
    if (port_file) {
        FILE *f = fopen(port_file, "w");
        if (f) {
            fprintf(f, "%u\n", port);
            fclose(f);
        }
    }
    json_t *fields = json_pack("{s:s, s:i, s:s, s:s}", "bind", sopts.bind, "port", (int)port, "data_dir", cfg.data_dir,
                               "store", pf_store_backend(app->store));
    pf_log_fields(PF_LOG_INFO, "server.listening", fields, "Prodflow is serving at http://%s:%u", sopts.bind, port);
    json_decref(fields);
    /* The one-time sign-in link, for the person who started the server. */
    fprintf(stderr, "\n  Sign in to the editor (the link works once): %s/#login=%s\n\n", pf_server_origin(srv),
            pf_login_code(app->login));
    int sig = 0;
    sigwait(&stop, &sig);
    pf_log(PF_LOG_INFO, "server.stopping", "received signal %d", sig);
    pf_server_stop(srv);
    pf_app_close(app);
    return PF_EXIT_OK;
}

const pf_command pf_cmd_serve = {"serve", "serve the HTTP API", run, usage};
