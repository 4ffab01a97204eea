#include "support/server.h"

#include "core/mem.h"
#include "support/tmpdir.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void pause_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int launch(pf_test_server *srv, const char *const *extra_args);

int pf_test_server_start(pf_test_server *srv, const char *const *extra_args) {
    memset(srv, 0, sizeof *srv);
    srv->data_dir = pf_test_tmpdir("server");
    return launch(srv, extra_args);
}

int pf_test_server_signal(pf_test_server *srv, int sig) {
    if (srv->pid <= 0) return -1;
    kill(srv->pid, sig);
    int status = 0;
    waitpid(srv->pid, &status, 0);
    srv->pid = 0;
    srv->port = 0;
    return status;
}

int pf_test_server_restart(pf_test_server *srv, const char *const *extra_args) {
    char *port_file = pf_asprintf("%s/port", srv->data_dir);
    unlink(port_file);
    free(port_file);
    return launch(srv, extra_args);
}

static int launch(pf_test_server *srv, const char *const *extra_args) {
    char *port_file = pf_asprintf("%s/port", srv->data_dir);
    char *data = pf_asprintf("%s/data", srv->data_dir);
    const char *argv[32] = {PF_BIN,        "serve",
                            "--port",      "0",
                            "--port-file", port_file,
                            "--data-dir",  data,
                            "--share-dir", PF_SOURCE_DIR "/share",
                            "--threads",   "2",
                            "--web-dir",   ""};
    size_t n = 14; /* the API alone: tests of the editor pass --web-dir again */
    for (size_t i = 0; extra_args && extra_args[i] && n < 31; i++)
        argv[n++] = extra_args[i];
    argv[n] = NULL;
    srv->pid = fork();
    if (srv->pid == 0) {
        execv(PF_BIN, (char *const *)argv);
        _exit(127);
    }
    /* Bounded wait for the port file; a server that never starts fails the test. */
    for (int i = 0; i < 600 && !srv->port; i++) {
        FILE *f = fopen(port_file, "r");
        if (f) {
            if (fscanf(f, "%u", &srv->port) != 1) srv->port = 0;
            fclose(f);
        }
        int status;
        if (!srv->port && waitpid(srv->pid, &status, WNOHANG) == srv->pid) {
            srv->pid = 0;
            break;
        }
        if (!srv->port) pause_ms(50);
    }
    free(port_file);
    free(data);
    if (!srv->port) {
        fprintf(stderr, "server did not start\n");
        pf_test_server_stop(srv);
        return -1;
    }
    snprintf(srv->base, sizeof srv->base, "http://127.0.0.1:%u", srv->port);
    return 0;
}

void pf_test_server_stop(pf_test_server *srv) {
    if (srv->pid > 0) {
        kill(srv->pid, SIGTERM);
        int status = 0;
        waitpid(srv->pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fprintf(stderr, "server %d ended badly (status %d)\n", (int)srv->pid, status);
        srv->pid = 0;
    }
    free(srv->data_dir);
    srv->data_dir = NULL;
}

size_t pf_http_collect_body(char *ptr, size_t size, size_t nmemb, void *reply) {
    pf_http_reply *r = reply;
    size_t n = size * nmemb;
    r->body = pf_xrealloc(r->body, r->len + n + 1);
    memcpy(r->body + r->len, ptr, n);
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *user) {
    pf_http_reply *r = user;
    size_t n = size * nmemb;
    if (n > 10 && strncasecmp(ptr, "Location:", 9) == 0) {
        size_t start = 9;
        while (start < n && ptr[start] == ' ')
            start++;
        size_t end = n;
        while (end > start && (ptr[end - 1] == '\r' || ptr[end - 1] == '\n'))
            end--;
        free(r->location);
        r->location = pf_strndup(ptr + start, end - start);
    }
    return n;
}

static int request(const pf_test_server *srv, const char *method, const char *path, const char *body, size_t body_len,
                   const char *content_type, const char *range, pf_http_reply *reply);

int pf_http(const pf_test_server *srv, const char *method, const char *path, const char *body, size_t body_len,
            const char *content_type, pf_http_reply *reply) {
    return request(srv, method, path, body, body_len, content_type, NULL, reply);
}

int pf_http_range(const pf_test_server *srv, const char *path, const char *range, pf_http_reply *reply) {
    return request(srv, "GET", path, NULL, 0, NULL, range, reply);
}

static int request(const pf_test_server *srv, const char *method, const char *path, const char *body, size_t body_len,
                   const char *content_type, const char *range, pf_http_reply *reply) {
    memset(reply, 0, sizeof *reply);
    CURL *curl = curl_easy_init();
    char *url = pf_asprintf("%s%s", srv->base, path);
    struct curl_slist *headers = NULL;
    if (body) {
        char *h = pf_asprintf("Content-Type: %s", content_type ? content_type : "application/json");
        headers = curl_slist_append(headers, h);
        free(h);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (range) curl_easy_setopt(curl, CURLOPT_RANGE, range);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, pf_http_collect_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, reply);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, reply);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    if (strcmp(method, "HEAD") == 0) curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) {
        pf_http_read_reply(curl, reply);
    } else {
        free(reply->body);
        reply->body = NULL;
        reply->len = 0;
        fprintf(stderr, "%s %s: %s\n", method, path, curl_easy_strerror(rc));
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    free(url);
    return rc == CURLE_OK ? 0 : -1;
}

void pf_http_read_reply(void *curl, pf_http_reply *reply) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply->status);
    char *ct = NULL;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct);
    if (ct) reply->content_type = pf_strdup(ct);
    if (!reply->body) reply->body = pf_strdup("");
    reply->json = json_loadb(reply->body, reply->len, 0, NULL);
}

bool pf_problems_have(const json_t *problems, const char *pointer) {
    size_t i;
    const json_t *e;
    json_array_foreach(problems, i, e) {
        const char *at = json_string_value(json_object_get(e, "pointer"));
        if (at && strcmp(at, pointer) == 0) return true;
    }
    return false;
}

void pf_http_reply_free(pf_http_reply *reply) {
    free(reply->body);
    free(reply->content_type);
    free(reply->location);
    json_decref(reply->json);
    memset(reply, 0, sizeof *reply);
}

json_t *pf_http_json(const pf_test_server *srv, const char *method, const char *path, const char *body, long *status) {
    pf_http_reply r;
    json_t *doc = NULL;
    *status = 0;
    if (pf_http(srv, method, path, body, body ? strlen(body) : 0, NULL, &r) == 0) {
        *status = r.status;
        doc = json_incref(r.json);
        pf_http_reply_free(&r);
    }
    return doc;
}
