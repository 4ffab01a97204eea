#include "support/workers.h"

#include "core/mem.h"
#include "support/python_peer.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void launch(pf_test_worker *w, const char *const *argv, const char *cwd) {
    w->pid = fork();
    if (w->pid == 0) {
        if (cwd && chdir(cwd) != 0) _exit(127);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
}

void pf_test_worker_start(pf_test_worker *w, const char *name, const pf_test_redis *redis, const pf_test_server *srv,
                          const char *token_file, const char *dir) {
    snprintf(w->name, sizeof w->name, "%s@test", name);
    char *work = pf_asprintf("%s/%s", dir, name);
    const char *argv[] = {PF_BIN,
                          "worker",
                          "--broker",
                          redis->url,
                          "--server",
                          srv->base,
                          "--token-file",
                          token_file,
                          "--hostname",
                          w->name,
                          "--work-dir",
                          work,
                          "--concurrency",
                          "1",
                          "--visibility-timeout",
                          "2",
                          "--blender-workers",
                          "0",
                          NULL};
    launch(w, argv, NULL);
    free(work);
}

void pf_test_python_worker_start(pf_test_worker *w, const char *name, const pf_test_redis *redis, const char *module,
                                 const char *queue, const char *const *env) {
    snprintf(w->name, sizeof w->name, "%s@test", name);
    const char *args[24] = {"-m", "celery",  "-A",    module, "worker", "--pool=solo",      "-c",
                            "1",  "-n",      w->name, "-Q",   queue,    "--without-mingle", "--without-gossip",
                            "-l", "WARNING", NULL};
    const char *argv[48];
    char broker[256];
    pf_test_python_argv(argv, broker, redis->url, args);
    /* env -i ... NAME=VALUE ... python3: the extra entries go before python3. */
    size_t n = 0, python = 0, extra = 0;
    while (argv[n]) {
        if (!python && argv[n][0] == '/' && strstr(argv[n], "python3")) python = n;
        n++;
    }
    for (; env && env[extra]; extra++)
        ;
    for (size_t i = n + 1; i-- > python;)
        argv[i + extra] = argv[i];
    for (size_t i = 0; i < extra; i++)
        argv[python + i] = env[i];
    launch(w, argv, PF_CELERY_DIR);
}

void pf_test_worker_stop(pf_test_worker *w) {
    if (w->pid <= 0) return;
    kill(w->pid, SIGTERM);
    waitpid(w->pid, NULL, 0);
    w->pid = 0;
}
