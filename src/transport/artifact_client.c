#include "transport/artifact_client.h"

#include "core/mem.h"
#include "core/sha256.h"

#include "core/curl_api.h"
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    FILE *file;
    pf_sha256_ctx sha;
    char problem[256]; /* the start of what arrived: the server's answer when it is not the file */
    size_t problem_len;
} download;

/* Keeps the start of what arrived, for a message when it is an answer. */
static void keep_start(download *d, const char *ptr, size_t n) {
    size_t room = sizeof d->problem - 1 - d->problem_len, take = n < room ? n : room;
    memcpy(d->problem + d->problem_len, ptr, take);
    d->problem_len += take;
    d->problem[d->problem_len] = '\0';
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *user) {
    download *d = user;
    size_t n = size * nmemb;
    if (fwrite(ptr, 1, n, d->file) != n) return 0;
    pf_sha256_update(&d->sha, ptr, n);
    keep_start(d, ptr, n);
    return n;
}

static CURL *handle(const pf_artifact_remote *r, const char *digest, struct curl_slist **headers) {
    CURL *curl = curl_easy_init();
    char *url = pf_asprintf("%s/api/artifacts/sha256/%s", r->server, digest);
    char *auth = pf_asprintf("Authorization: Bearer %s", r->token ? r->token : "");
    *headers = curl_slist_append(NULL, auth);
    *headers = curl_slist_append(*headers, "Expect:");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, *headers);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 30L);
    free(url);
    free(auth);
    return curl;
}

/* Performs the transfer and frees the handle and its headers; *status is
 * the answer's HTTP status (0 when none came). */
static CURLcode perform(CURL *curl, struct curl_slist *headers, long *status) {
    CURLcode rc = curl_easy_perform(curl);
    *status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    return rc;
}

pf_error *pf_artifact_fetch(const pf_artifact_remote *r, const char *digest, const char *path) {
    char *tmp = pf_asprintf("%s.part-%d", path, (int)getpid());
    download d = {.file = fopen(tmp, "wb")};
    if (!d.file) {
        pf_error *err = pf_error_new(PF_EIO, "", "cannot write %s: %s", tmp, strerror(errno));
        free(tmp);
        return err;
    }
    pf_sha256_init(&d.sha);
    struct curl_slist *headers;
    CURL *curl = handle(r, digest, &headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &d);
    long status;
    CURLcode rc = perform(curl, headers, &status);
    bool written = fclose(d.file) == 0;
    char got[65];
    pf_sha256_final_hex(&d.sha, got);
    pf_error *err = NULL;
    if (rc != CURLE_OK)
        err = pf_error_new(PF_EIO, "", "cannot fetch artifact %.12s from %s: %s", digest, r->server,
                           curl_easy_strerror(rc));
    else if (status != 200)
        err =
            pf_error_new(status == 401 || status == 403 ? PF_EUNAUTHORIZED
                         : status == 404                ? PF_ENOTFOUND
                                                        : PF_EIO,
                         "", "fetching artifact %.12s from %s answered %ld: %s", digest, r->server, status, d.problem);
    else if (!written || strcmp(got, digest) != 0)
        err = pf_error_new(PF_EIO, "", "artifact %.12s arrived damaged (its digest is %.12s)", digest, got);
    else if (rename(tmp, path) != 0)
        err = pf_error_new(PF_EIO, "", "cannot keep artifact %.12s at %s: %s", digest, path, strerror(errno));
    if (err) unlink(tmp);
    free(tmp);
    return err;
}

static size_t keep_answer(char *ptr, size_t size, size_t nmemb, void *user) {
    keep_start(user, ptr, size * nmemb);
    return size * nmemb;
}

pf_error *pf_artifact_upload(const pf_artifact_remote *r, const char *path, const char *digest) {
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) {
        if (f) fclose(f);
        return pf_error_new(PF_EIO, "", "cannot read output %s: %s", path, strerror(errno));
    }
    struct curl_slist *headers;
    CURL *curl = handle(r, digest, &headers);
    headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READDATA, f);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)st.st_size);
    download answer = {0};
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep_answer);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
    long status;
    CURLcode rc = perform(curl, headers, &status);
    fclose(f);
    if (rc != CURLE_OK)
        return pf_error_new(PF_EIO, "", "cannot upload output %.12s to %s: %s", digest, r->server,
                            curl_easy_strerror(rc));
    if (status != 201)
        return pf_error_new(status == 401 || status == 403 ? PF_EUNAUTHORIZED : PF_EIO, "",
                            "uploading output %.12s to %s answered %ld: %s", digest, r->server, status, answer.problem);
    return NULL;
}
