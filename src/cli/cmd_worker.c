/* prodflow worker: runs module tasks (`prodflow.module.<key>`) that servers
 * started with --broker send through Redis, on this machine; as many
 * workers on as many machines as there is work (docs/scale-out.md). */
#include "cli/cli.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/path.h"
#include "runtime/zygote.h"
#include "transport/celery_worker.h"
#include "transport/module_worker.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out) {
    fputs("Usage: prodflow worker --broker redis://[USER:PASSWORD@]HOST:PORT/DB\n"
          "                       (--server URL [--token-file FILE] | --data-dir DIR) [options]\n\n"
          "Runs the module tasks that `prodflow serve --broker` sends, until SIGINT or SIGTERM\n"
          "(tasks in flight finish first). Heavy modules run in child processes under their limits.\n\n"
          "Options:\n"
          "  --broker URL        the Redis the servers send tasks through ($PRODFLOW_BROKER)\n"
          "  --queues LIST       the queues to take tasks from (default cad,render,default)\n"
          "  --concurrency N     tasks at once (default: the number of cores)\n"
          "  --hostname NAME     this worker's name, as celery inspect and events show it (default worker@HOST)\n"
          "  --server URL        a server's API (or a load balancer in front of several): inputs are\n"
          "                      fetched from it and outputs uploaded to it\n"
          "  --token-file FILE   a token with the worker role ($PRODFLOW_TOKEN; prodflow token create --role worker)\n"
          "  --data-dir DIR      instead of --server: a data directory shared with the servers\n"
          "  --work-dir DIR      scratch space, the cache of fetched inputs and of imported products (default\n"
          "                      ./var/worker)\n"
          "  --share-dir DIR     templates and libraries (default: the build's share/)\n"
          "  --blender-workers N warm Blender processes (default 1; 0 starts one per render)\n"
          "  --memory-limit [QUEUE=]SIZE  resident memory a module's process may use (repeatable)\n"
          "  --cpu-limit [QUEUE=]SECONDS  CPU time a module's process may use (repeatable)\n"
          "  --file-limit [QUEUE=]SIZE  the largest file a module's process may write (repeatable)\n"
          "  --visibility-timeout S  a task taken by a worker that died runs again after S seconds (default 3600)\n"
          "  -h, --help          this help\n",
          out);
}

typedef struct {
    const char *broker, *queues, *hostname, *server, *token_file, *data_dir, *work_dir, *share_dir;
    int concurrency, blender_workers;
    long visibility_s;
    pf_limit_override limits[16];
    size_t n_limits;
} worker_args;

static int parse(int argc, char **argv, worker_args *a) {
    static const struct option opts[] = {
        {"broker", required_argument, 0, 'b'},
        {"queues", required_argument, 0, 'q'},
        {"concurrency", required_argument, 0, 'c'},
        {"hostname", required_argument, 0, 'n'},
        {"server", required_argument, 0, 's'},
        {"token-file", required_argument, 0, 't'},
        {"data-dir", required_argument, 0, 'd'},
        {"work-dir", required_argument, 0, 'w'},
        {"share-dir", required_argument, 0, 'S'},
        {"blender-workers", required_argument, 0, 'B'},
        {"memory-limit", required_argument, 0, 'L'},
        {"cpu-limit", required_argument, 0, 'X'},
        {"file-limit", required_argument, 0, 'F'},
        {"visibility-timeout", required_argument, 0, 'V'},
        {0, 0, 0, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'b': a->broker = optarg; break;
        case 'q': a->queues = optarg; break;
        case 'c': a->concurrency = atoi(optarg); break;
        case 'n': a->hostname = optarg; break;
        case 's': a->server = optarg; break;
        case 't': a->token_file = optarg; break;
        case 'd': a->data_dir = optarg; break;
        case 'w': a->work_dir = optarg; break;
        case 'S': a->share_dir = optarg; break;
        case 'B': a->blender_workers = atoi(optarg); break;
        case 'V': a->visibility_s = atol(optarg); break;
        case 'L':
        case 'F':
        case 'X':
            if (!pf_cli_limit(c, optarg, a->limits, 16, &a->n_limits)) return PF_EXIT_USAGE;
            break;
        default: return PF_EXIT_USAGE; /* getopt said what */
        }
    }
    const char *problem = optind != argc               ? "unexpected arguments"
                          : !a->broker                 ? "give --broker (or $PRODFLOW_BROKER)"
                          : !a->server == !a->data_dir ? "give --server URL or --data-dir DIR (one of them)"
                          : a->concurrency < 0 || a->visibility_s < 0
                              ? "--concurrency and --visibility-timeout are positive"
                              : NULL;
    if (problem) {
        fprintf(stderr, "prodflow worker: %s\n", problem);
        return PF_EXIT_USAGE;
    }
    return PF_EXIT_OK;
}

/* The worker's token: the file's first line, else $PRODFLOW_TOKEN. */
static char *read_token(const char *file) {
    if (!file) {
        const char *env = getenv("PRODFLOW_TOKEN");
        return env && *env ? pf_strdup(env) : NULL;
    }
    char *text = NULL;
    size_t len = 0;
    pf_error *err = pf_read_file(file, 4096, &text, &len);
    if (err) {
        fprintf(stderr, "prodflow worker: --token-file: %s\n", err->message);
        pf_error_free(err);
        return NULL;
    }
    text[strcspn(text, "\r\n")] = '\0';
    return text;
}

typedef struct {
    sigset_t set;
    atomic_bool *stop;
} stopper;

static void *wait_for_signal(void *arg) {
    stopper *s = arg;
    int sig = 0;
    sigwait(&s->set, &sig);
    pf_log(PF_LOG_INFO, "worker.stopping", "received signal %d: finishing the tasks in flight", sig);
    atomic_store(s->stop, true);
    return NULL;
}

/* "cad,render,default" into a NULL-terminated list of pointers into copy. */
static void split_queues(char *copy, const char **out, size_t max) {
    size_t n = 0;
    for (char *save = NULL, *q = strtok_r(copy, ",", &save); q && n + 1 < max; q = strtok_r(NULL, ",", &save))
        if (*q) out[n++] = q;
    out[n] = NULL;
}

static int work(const worker_args *a) {
    char *token = a->server ? read_token(a->token_file) : NULL;
    if (a->server && !token) {
        fputs("prodflow worker: the server needs a token with the worker role: --token-file FILE or "
              "$PRODFLOW_TOKEN (prodflow token create --name NAME --role worker)\n",
              stderr);
        return PF_EXIT_USAGE;
    }
    pf_registry *reg = pf_cli_registry();
    char *self = pf_cli_self(), *queues = pf_strdup(a->queues ? a->queues : "cad,render,default");
    const char *queue_list[16];
    split_queues(queues, queue_list, 16);
    int rc = PF_EXIT_FAILED;
    pf_error *err = reg ? pf_mkdirs(a->work_dir, 0755) : NULL;
    if (reg && !err) {
        pf_runtime_config limits_of = {.registry = reg, .limits = a->limits, .n_limits = a->n_limits};
        char *script = pf_asprintf("%s/blender/prodflow_render.py", a->share_dir);
        pf_blender_pool_opts po = {.setup = {.blender = getenv("PRODFLOW_BLENDER"),
                                             .script = script,
                                             .memory_bytes = pf_runtime_pool_memory(&limits_of)},
                                   .workers = a->blender_workers};
        pf_module_worker mw = {.registry = reg,
                               .remote = {.server = a->server, .token = token},
                               .shared_data_dir = a->data_dir,
                               .work_dir = a->work_dir,
                               .share_dir = a->share_dir,
                               .module_runner = self,
                               .limits = a->limits,
                               .n_limits = a->n_limits,
                               .blender_pool = a->blender_workers > 0 ? pf_blender_pool_new(&po) : NULL};
        mw.zygote = self ? pf_zygote_new(self) : NULL;
        atomic_bool stop = false;
        stopper s = {.stop = &stop};
        sigemptyset(&s.set);
        sigaddset(&s.set, SIGINT);
        sigaddset(&s.set, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &s.set, NULL);
        pthread_t signals;
        pthread_create(&signals, NULL, wait_for_signal, &s);
        pthread_detach(signals);
        char host[256] = "localhost", name[300];
        gethostname(host, sizeof host - 1);
        snprintf(name, sizeof name, "worker@%s", host);
        pf_celery_worker_opts wo = {.broker_url = a->broker,
                                    .queues = queue_list,
                                    .concurrency =
                                        a->concurrency > 0 ? a->concurrency : (int)sysconf(_SC_NPROCESSORS_ONLN),
                                    .hostname = a->hostname ? a->hostname : name,
                                    .visibility_timeout_ms = a->visibility_s * 1000,
                                    .handler = pf_module_worker_handle,
                                    .user = &mw,
                                    .accepts = pf_module_worker_accepts,
                                    .stop = &stop};
        pf_log(PF_LOG_INFO, "worker.started", "worker %s takes tasks from %s", wo.hostname,
               a->queues ? a->queues : "cad,render,default");
        err = pf_celery_worker_run(&wo);
        rc = err ? PF_EXIT_FAILED : PF_EXIT_OK;
        pf_blender_pool_free(mw.blender_pool);
        pf_zygote_stop(mw.zygote);
        free(script);
    }
    if (err) fprintf(stderr, "prodflow worker: %s\n", err->message);
    pf_error_free(err);
    pf_registry_free(reg);
    free(queues);
    free(self);
    free(token);
    return rc;
}

static int run(int argc, char **argv) {
    pf_heap_for_runs();
    worker_args a = {.broker = getenv("PRODFLOW_BROKER"),
                     .work_dir = "./var/worker",
                     .share_dir = pf_cli_share_dir(),
                     .blender_workers = 1};
    int rc = parse(argc, argv, &a);
    if (rc == PF_EXIT_OK) rc = work(&a);
    pf_cli_limits_free(a.limits, a.n_limits);
    return rc;
}

const pf_command pf_cmd_worker = {"worker", "run module tasks sent through Redis (scale-out)", run, usage};
