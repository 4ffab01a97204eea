#include "core/secret.h"

#include "core/hex.h"
#include "core/mem.h"
#include "core/path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define PF_SECRET_BYTES 32

static pf_error *read_secret(const char *path, char **secret_out) {
    char *data = NULL;
    size_t len = 0;
    pf_error *err = pf_read_file(path, 4096, &data, &len);
    if (err) return err;
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r' || data[len - 1] == ' '))
        data[--len] = '\0';
    if (len == 0 || strlen(data) != len) {
        free(data);
        return pf_error_new(PF_EINVAL, "", "%s holds no usable secret (it is empty or binary)", path);
    }
    *secret_out = data;
    return NULL;
}

static bool fill_random(unsigned char *buf, size_t n) {
    for (size_t got = 0; got < n;) {
        ssize_t r = getrandom(buf + got, n - got, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        got += (size_t)r;
    }
    return true;
}

static bool write_all(int fd, const char *s, size_t n) {
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        s += w;
        n -= (size_t)w;
    }
    return true;
}

/* n random bytes as 2n hex digits; false when the kernel gives none. */
static bool random_hex(size_t n, char *out) {
    unsigned char bytes[PF_SECRET_BYTES];
    if (n > sizeof bytes || !fill_random(bytes, n)) return false;
    pf_hex_encode(bytes, n, out);
    explicit_bzero(bytes, sizeof bytes);
    return true;
}

/* A new file only the owner can read, written and synced; errno on false. */
static bool write_private(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    bool ok = fd >= 0 && fchmod(fd, 0600) == 0 && write_all(fd, text, strlen(text)) && fsync(fd) == 0;
    int e = errno;
    if (fd >= 0) close(fd);
    errno = e;
    return ok;
}

/* The new name is durable only once its directory is synced. */
static void sync_parent(const char *path) {
    char *dir = pf_strdup(path), *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    int dfd = open(slash ? (dir[0] ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(dir);
}

/* A new key in a private temporary file beside path, then link(2): unlike
 * rename, link never replaces a file another process put there first, and
 * a reader never sees a half-written key. */
static pf_error *create_secret(const char *path) {
    char key[2 * PF_SECRET_BYTES + 2], tag[13];
    if (!random_hex(PF_SECRET_BYTES, key) || !random_hex(6, tag))
        return pf_error_new(PF_EIO, "", "no random bytes for %s", path);
    strcat(key, "\n");
    char *tmp = pf_asprintf("%s.tmp.%s", path, tag);
    bool ok = write_private(tmp, key);
    if (ok && link(tmp, path) != 0 && errno != EEXIST) ok = false;
    int e = errno;
    unlink(tmp);
    free(tmp);
    explicit_bzero(key, sizeof key);
    if (!ok) return pf_error_new(PF_EIO, "", "cannot create the secret %s: %s", path, strerror(e));
    sync_parent(path);
    return NULL;
}

pf_error *pf_secret_load_or_create(const char *path, char **secret_out) {
    *secret_out = NULL;
    pf_error *err = read_secret(path, secret_out);
    if (!err || err->code != PF_ENOTFOUND) return err;
    pf_error_free(err);
    char *dir = pf_strdup(path), *slash = strrchr(dir, '/');
    err = NULL;
    if (slash && slash != dir) {
        *slash = '\0';
        err = pf_mkdirs(dir, 0700);
    }
    free(dir);
    if (!err) err = create_secret(path);
    return err ? err : read_secret(path, secret_out);
}
