/* Python Celery peers for the transport tests: Debian's /usr/bin/python3
 * (the only interpreter that imports its celery), run in tests/celery with
 * PF_BROKER set, whatever python comes first on the test's PATH. */
#ifndef PF_TESTS_PYTHON_PEER_H
#define PF_TESTS_PYTHON_PEER_H

#include <stddef.h>

#define PF_CELERY_DIR PF_SOURCE_DIR "/tests/celery"

typedef struct pf_peer_output {
    char text[16384];
    size_t len;
} pf_peer_output;

/* argv (room for 24) for `python3 ARGS...` with the broker in the
 * environment; the strings live as long as broker_env. */
void pf_test_python_argv(const char **argv, char broker_env[256], const char *url, const char *const *args);
/* Runs tests/celery/peer.py ARGS... to its end: its exit code, and what it
 * printed in *out. */
int pf_test_celery_peer(const char *url, const char *const *args, pf_peer_output *out);

#endif
