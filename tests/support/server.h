/* A real `prodflow serve` on 127.0.0.1 with a temporary data directory,
 * started for one test and stopped by PID.
 *
 * With PF_TEST_STORE=postgresql in the environment (the integration
 * tests' PostgreSQL variants in tests/CMakeLists.txt), every server
 * started without a --store of its own gets a fresh database in a
 * throwaway PostgreSQL cluster, started on first use and stopped when the
 * test ends; a test process that cannot start one ends with 77 (skipped)
 * when PostgreSQL's server is not installed, else fails. */
#ifndef PF_TESTS_SERVER_H
#define PF_TESTS_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct pf_test_server {
    pid_t pid;
    unsigned port;
    char *data_dir;
    char base[64];           /* "http://127.0.0.1:PORT" */
    char token[128];         /* an admin token made before the first start; requests carry it */
    char *login;             /* the sign-in code the server printed at its last start (owned) */
    char *store;             /* the --store the support code gave it (PF_TEST_STORE), or NULL (owned) */
    struct pf_test_log *log; /* the server's log lines, for pf_test_server_log_wait */
} pf_test_server;

/* Starts the server with extra CLI args (NULL-terminated, may be NULL),
 * after making an admin token for the requests below. Returns 0 once the
 * server listens. */
int pf_test_server_start(pf_test_server *srv, const char *const *extra_args);
void pf_test_server_stop(pf_test_server *srv);
/* Waits until the server has logged a line containing every one of the
 * strings (NULL-terminated), or its log ended; the line (owned) or NULL.
 * Lines are kept from the server's start. */
char *pf_test_server_log_wait(const pf_test_server *srv, const char *const *needles);
/* Sends sig (SIGKILL for a crash, SIGTERM for a stop) and waits for the
 * server to end, keeping the data directory; returns the wait status.
 * pf_test_server_restart starts a new server on the same data. */
int pf_test_server_signal(pf_test_server *srv, int sig);
int pf_test_server_restart(pf_test_server *srv, const char *const *extra_args);

typedef struct pf_http_reply {
    long status;
    char *body; /* owned */
    size_t len;
    char *content_type; /* owned, may be NULL */
    char *location;     /* owned, may be NULL */
    char *set_cookie;   /* the Set-Cookie header's value, owned, may be NULL */
    char *request_id;   /* the X-Request-Id header's value, owned, may be NULL */
    json_t *json;       /* parsed body or NULL; owned */
} pf_http_reply;

/* One request with the server's admin token; body may be NULL.
 * content_type NULL means application/json when there is a body. Returns 0
 * when a reply arrived. */
int pf_http(const pf_test_server *srv, const char *method, const char *path, const char *body, size_t body_len,
            const char *content_type, pf_http_reply *reply);
/* The same with another token, or none (NULL), and extra header lines
 * ("Origin: http://evil.example", NULL-terminated, may be NULL). */
int pf_http_as(const pf_test_server *srv, const char *token, const char *const *headers, const char *method,
               const char *path, const char *body, size_t body_len, const char *content_type, pf_http_reply *reply);
/* Makes a token with the given roles ("viewer", "editor", ...,
 * NULL-terminated) in the server's store; caller frees. */
char *pf_test_token(const pf_test_server *srv, const char *const *roles);
void pf_http_reply_free(pf_http_reply *reply);
/* libcurl's write callback that appends to a pf_http_reply's body (for
 * tests that build their own requests). */
size_t pf_http_collect_body(char *ptr, size_t size, size_t nmemb, void *reply);
/* After a request that succeeded on the curl handle (a CURL *): the
 * status, content type and parsed body into reply. */
void pf_http_read_reply(void *curl, pf_http_reply *reply);

/* Whether a list of problems [{pointer, …}] (a problem document's "errors",
 * a preflight's "problems") has one at pointer. */
bool pf_problems_have(const json_t *problems, const char *pointer);

/* A JSON request (body may be NULL): the parsed answer (new reference, NULL
 * when it is not JSON) and its status in *status (0 when no answer came). */
json_t *pf_http_json(const pf_test_server *srv, const char *method, const char *path, const char *body, long *status);
/* A request whose answer must have status want (a CHECK otherwise, naming
 * the detail): the parsed answer, new reference or NULL. */
json_t *pf_http_expect(const pf_test_server *srv, const char *method, const char *path, const char *body, long want);
/* A POST whose answer must have status want (a CHECK otherwise, naming
 * the detail): the parsed answer, new reference or NULL. */
json_t *pf_http_post_expect(const pf_test_server *srv, const char *path, const char *body, long want);
/* Blocks until run_id has ended: reads the run's event stream, which the
 * server ends when the run does (no polling, no clock). The run's final
 * document (new reference; NULL when there is no such run). */
json_t *pf_test_run_wait(const pf_test_server *srv, const char *run_id);
/* The CAD file at path (/api/cad-files/SHA) once its intake has ended,
 * waiting on the intake's run as above; NULL when there is no such file. */
json_t *pf_test_intake_wait(const pf_test_server *srv, const char *path);
/* The id of the demo data's first product once its CAD intake succeeded
 * (a failed CHECK otherwise); the caller's, NULL when there is none. */
char *pf_test_demo_product_ready(const pf_test_server *srv);
/* A run's status and a CAD file's intake status, for checks. */
const char *pf_test_run_status(const json_t *run);
const char *pf_test_intake_status(const json_t *cad);

/* A GET with a Range header ("0-3" for the first four bytes). */
int pf_http_range(const pf_test_server *srv, const char *path, const char *range, pf_http_reply *reply);

#endif
