#include "support/python_peer.h"

#include "check.h"
#include "core/subprocess.h"

#include <stdio.h>
#include <string.h>

void pf_test_python_argv(const char **argv, char broker_env[256], const char *url, const char *const *args) {
    snprintf(broker_env, 256, "PF_BROKER=%s", url);
    size_t n = 0;
    argv[n++] = "env";
    argv[n++] = "-i";
    argv[n++] = "PATH=/usr/bin:/bin";
    argv[n++] = "LANG=C.UTF-8";
    argv[n++] = "PYTHONDONTWRITEBYTECODE=1"; /* no __pycache__ in the source tree */
    argv[n++] = broker_env;
    argv[n++] = "/usr/bin/python3";
    for (size_t i = 0; args[i] && n < 23; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
}

static void collect(void *user, int stream, const char *line, size_t len) {
    pf_peer_output *o = user;
    (void)stream;
    int n = snprintf(o->text + o->len, sizeof o->text - o->len, "%.*s\n", (int)len, line);
    if (n > 0) o->len = o->len + (size_t)n < sizeof o->text ? o->len + (size_t)n : sizeof o->text - 1;
}

int pf_test_celery_peer(const char *url, const char *const *args, pf_peer_output *out) {
    const char *argv[24], *full[16] = {PF_CELERY_DIR "/peer.py"};
    for (size_t i = 0; args[i] && i < 14; i++)
        full[i + 1] = args[i];
    char broker[256];
    pf_test_python_argv(argv, broker, url, full);
    memset(out, 0, sizeof *out);
    pf_subprocess_opts o = {.argv = argv, .cwd = PF_CELERY_DIR, .on_line = collect, .user = out};
    pf_subprocess_result r;
    pf_error *err = pf_subprocess_run(&o, &r);
    if (err) {
        fprintf(stderr, "python: %s\n", err->message);
        pf_error_free(err);
        return -1;
    }
    if (r.exit_code != 0) fprintf(stderr, "peer %s exited %d:\n%s\n", args[0], r.exit_code, out->text);
    return r.exit_code;
}
