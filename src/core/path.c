#include "core/path.h"

#include "core/mem.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static bool inside(const char *root, const char *path) {
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/') return true;
    return strncmp(root, path, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

pf_error *pf_path_resolve_within(const char *root, const char *user_path, char **resolved_out) {
    *resolved_out = NULL;
    char real_root[PATH_MAX];
    if (!realpath(root, real_root))
        return pf_error_new(PF_ENOTFOUND, "", "the data root %s does not exist: %s", root, strerror(errno));
    if (!*user_path) return pf_error_new(PF_EINVAL, "", "the path is empty");
    char *joined = user_path[0] == '/' ? pf_strdup(user_path) : pf_asprintf("%s/%s", real_root, user_path);
    /* Check the spelled path first, so ".." escapes are refused even when
     * the target does not exist. */
    for (const char *p = user_path; (p = strstr(p, "..")); p += 2) {
        bool starts = p == user_path || p[-1] == '/';
        bool ends = p[2] == '\0' || p[2] == '/';
        if (starts && ends) {
            free(joined);
            return pf_error_new(PF_EINVAL, "", "%s leaves the data root: \"..\" is not allowed", user_path);
        }
    }
    char real[PATH_MAX];
    if (!realpath(joined, real)) {
        int e = errno;
        free(joined);
        if (e == ENOENT) return pf_error_new(PF_ENOTFOUND, "", "%s does not exist", user_path);
        return pf_error_new(PF_EIO, "", "cannot resolve %s: %s", user_path, strerror(e));
    }
    free(joined);
    if (!inside(real_root, real))
        return pf_error_new(PF_EINVAL, "", "%s is outside the data root %s", user_path, real_root);
    *resolved_out = pf_strdup(real);
    return NULL;
}

/* Why rel is not plain names joined by '/', or NULL. It judges the
 * spelling only: a "%2e%2e" or a backslash means nothing to the file
 * system, but may to whatever decodes the path later (a URL, a Windows
 * share), so they are refused rather than passed on. */
static const char *spelling_problem(const char *rel, size_t len) {
    if (len == 0) return "the path is empty";
    if (len >= PATH_MAX) return "the path is too long";
    if (rel[0] == '/') return "absolute paths are not allowed";
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = i < len ? (unsigned char)rel[i] : '/';
        if (c == '\0') return "a NUL byte is not allowed";
        if (c == '\\') return "backslashes are not allowed";
        if (c < 0x20 || c == 0x7f) return "control characters are not allowed";
        if (c == '%' && i + 2 < len && isxdigit((unsigned char)rel[i + 1]) && isxdigit((unsigned char)rel[i + 2]))
            return "percent-encoded characters (%XX) are not allowed";
        if (c != '/') continue;
        size_t n = i - start;
        if (n == 0) return "empty names (a leading, doubled or trailing '/') are not allowed";
        if (n == 1 && rel[start] == '.') return "\".\" is not allowed";
        if (n == 2 && rel[start] == '.' && rel[start + 1] == '.') return "\"..\" is not allowed";
        if (n > NAME_MAX) return "a name in the path is too long";
        start = i + 1;
    }
    return NULL;
}

/* Follows the parts of rel that exist, from real_root down, until one does
 * not (the rest is new). A symbolic link must resolve inside real_root, and
 * every part but the last must be a directory. */
static pf_error *walk_existing(const char *real_root, const char *rel, const char *pointer) {
    char at[PATH_MAX];
    snprintf(at, sizeof at, "%s", strcmp(real_root, "/") ? real_root : "");
    for (const char *name = rel; *name;) {
        const char *end = strchr(name, '/');
        size_t n = end ? (size_t)(end - name) : strlen(name);
        char next[PATH_MAX];
        if (snprintf(next, sizeof next, "%s/%.*s", at, (int)n, name) >= (int)sizeof next)
            return pf_error_new(PF_EINVAL, pointer, "\"%s\" is too long", rel);
        struct stat st;
        if (lstat(next, &st) != 0) {
            if (errno == ENOENT) return NULL;
            return pf_error_new(PF_EIO, pointer, "cannot examine %s: %s", next, strerror(errno));
        }
        if (S_ISLNK(st.st_mode)) {
            if (!realpath(next, at) || stat(at, &st) != 0)
                return pf_error_new(PF_EINVAL, pointer, "\"%s\" goes through a symbolic link that leads nowhere", rel);
            if (!inside(real_root, at))
                return pf_error_new(PF_EINVAL, pointer,
                                    "\"%s\" goes through a symbolic link that leads out of the directory it must "
                                    "stay in",
                                    rel);
        } else {
            memcpy(at, next, sizeof at);
        }
        if (end && !S_ISDIR(st.st_mode))
            return pf_error_new(PF_EINVAL, pointer, "\"%s\": %.*s is not a directory", rel, (int)n, name);
        name = end ? end + 1 : name + n;
    }
    return NULL;
}

pf_error *pf_path_confine(const char *root, const char *relative, size_t relative_len, const char *pointer,
                          char **resolved_out) {
    *resolved_out = NULL;
    const char *why = spelling_problem(relative, relative_len);
    if (why) return pf_error_new(PF_EINVAL, pointer, "\"%s\" is not a plain relative path: %s", relative, why);
    char real_root[PATH_MAX];
    if (realpath(root, real_root)) {
        pf_error *err = walk_existing(real_root, relative, pointer);
        if (err) return err;
    } else if (errno != ENOENT) {
        return pf_error_new(PF_EIO, pointer, "cannot resolve %s: %s", root, strerror(errno));
    } /* no root yet: nothing below it exists, and the spelling decides */
    size_t n = strlen(root);
    while (n > 0 && root[n - 1] == '/')
        n--;
    *resolved_out = pf_asprintf("%.*s/%s", (int)n, root, relative);
    return NULL;
}

pf_error *pf_mkdirs(const char *path, mode_t mode) {
    char *copy = pf_strdup(path);
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(copy, mode) != 0 && errno != EEXIST) {
            pf_error *err = pf_error_new(PF_EIO, "", "cannot create %s: %s", copy, strerror(errno));
            free(copy);
            return err;
        }
        *p = '/';
    }
    pf_error *err = NULL;
    if (mkdir(copy, mode) != 0 && errno != EEXIST)
        err = pf_error_new(PF_EIO, "", "cannot create %s: %s", copy, strerror(errno));
    free(copy);
    return err;
}

/* A new file beside path, created with mode 0666 less the umask (mkstemp
 * would make it 0600, and delivered files must be readable as any other
 * file the user writes). *tmp gets its name; -1 with errno on failure. */
static int create_beside(const char *path, char **tmp) {
    for (int attempt = 0; attempt < 16; attempt++) {
        unsigned char rnd[6];
        if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) return -1;
        *tmp = pf_asprintf("%s.tmp.%02x%02x%02x%02x%02x%02x", path, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
        int fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST) return fd;
        free(*tmp);
    }
    *tmp = NULL;
    errno = EEXIST;
    return -1;
}

pf_error *pf_write_file_atomic(const char *path, const void *data, size_t n) {
    char *tmp = NULL;
    int fd = create_beside(path, &tmp);
    if (fd < 0) {
        pf_error *err = pf_error_new(PF_EIO, "", "cannot create a temporary file beside %s: %s", path, strerror(errno));
        free(tmp);
        return err;
    }
    const char *p = data;
    size_t left = n;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) break;
        p += w;
        left -= (size_t)w;
    }
    bool ok = left == 0 && fsync(fd) == 0;
    int e = errno;
    close(fd);
    if (!ok || rename(tmp, path) != 0) {
        if (ok) e = errno;
        unlink(tmp);
        free(tmp);
        return pf_error_new(PF_EIO, "", "cannot write %s: %s", path, strerror(e));
    }
    free(tmp);
    /* The rename is durable only once the directory is synced. */
    char *dir = pf_strdup(path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    int dfd = open(slash ? (dir[0] ? dir : "/") : ".", O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(dir);
    return NULL;
}

pf_error *pf_read_file(const char *path, size_t max_bytes, char **data_out, size_t *len_out) {
    *data_out = NULL;
    *len_out = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return pf_error_new(errno == ENOENT ? PF_ENOTFOUND : PF_EIO, "", "cannot read %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return pf_error_new(PF_EINVAL, "", "%s is a directory", path);
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = pf_xmalloc(cap + 1);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len > max_bytes) {
            fclose(f);
            free(buf);
            return pf_error_new(PF_ETOOLARGE, "", "%s is over the limit of %zu bytes", path, max_bytes);
        }
        if (len == cap) buf = pf_xrealloc(buf, (cap *= 2) + 1);
    }
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        return pf_error_new(PF_EIO, "", "error while reading %s", path);
    }
    buf[len] = '\0';
    *data_out = buf;
    *len_out = len;
    return NULL;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st, (void)type, (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

size_t pf_unlink_files(const char *dir) {
    DIR *d = opendir(dir);
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char *path = pf_asprintf("%s/%s", dir, e->d_name);
        if (unlink(path) == 0) n++;
        free(path);
    }
    if (d) closedir(d);
    return n;
}

/* Bytes of the regular files under the directory fd (taken), depth first;
 * symbolic links are not followed, so a link out of the tree counts nothing. */
static uint64_t tree_bytes_at(int fd, int depth) {
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return 0;
    }
    uint64_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (S_ISREG(st.st_mode)) {
            n += (uint64_t)st.st_size;
        } else if (S_ISDIR(st.st_mode) && depth < 64) {
            int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0) n += tree_bytes_at(sub, depth + 1);
        }
    }
    closedir(d);
    return n;
}

uint64_t pf_tree_bytes(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return fd < 0 ? 0 : tree_bytes_at(fd, 0);
}

pf_error *pf_remove_tree(const char *path) {
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
        return pf_error_new(PF_EIO, "", "cannot remove %s: %s", path, strerror(errno));
    return NULL;
}

pf_error *pf_rename_durable(const char *tmp_path, const char *path) {
    int fd = open(tmp_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0 || rename(tmp_path, path) != 0) {
        pf_error *err = pf_error_new(PF_EIO, "", "cannot keep the upload as %s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return err;
    }
    close(fd);
    char *dir = pf_strdup(path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(dir);
    return NULL;
}

pf_error *pf_copy_file_atomic(const char *src, const char *dst) {
    char *tmp = NULL;
    int out = create_beside(dst, &tmp), in = open(src, O_RDONLY | O_CLOEXEC);
    pf_error *err = NULL;
    if (out < 0 || in < 0) err = pf_error_new(PF_EIO, "", "cannot copy %s to %s: %s", src, dst, strerror(errno));
    char buf[1 << 16];
    for (ssize_t n; !err && (n = read(in, buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || write(out, buf, (size_t)n) != n)
            err = pf_error_new(PF_EIO, "", "cannot copy %s to %s: %s", src, dst, strerror(errno));
    }
    if (!err && fsync(out) != 0) err = pf_error_new(PF_EIO, "", "cannot sync %s: %s", tmp, strerror(errno));
    if (out >= 0) close(out);
    if (in >= 0) close(in);
    if (!err && rename(tmp, dst) != 0) err = pf_error_new(PF_EIO, "", "cannot place %s: %s", dst, strerror(errno));
    if (err && tmp) unlink(tmp);
    free(tmp);
    return err;
}

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

char **pf_json_file_names(const char *dir, size_t *n) {
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char **names = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
        names = pf_xrealloc(names, (*n + 1) * sizeof *names);
        names[(*n)++] = pf_strdup(e->d_name);
    }
    closedir(d);
    if (*n) qsort(names, *n, sizeof *names, name_cmp);
    return names;
}

void pf_names_free(char **names, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static bool path_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.'; }

char *pf_path_hide(const char *text, const char *root, const char *label) {
    size_t n = root ? strlen(root) : 0;
    while (n > 1 && root[n - 1] == '/')
        n--;
    if (!text || n < 2) return NULL;
    size_t hits = 0;
    for (const char *p = strstr(text, root); p; p = strstr(p + 1, root))
        hits++;
    if (!hits) return NULL;
    size_t lab = strlen(label), replaced = 0;
    char *out = pf_xmalloc(strlen(text) + hits * lab + 1), *w = out;
    for (const char *p = text; *p;) {
        if (strncmp(p, root, n) == 0 && !path_char(p[n])) {
            memcpy(w, label, lab);
            w += lab;
            p += n;
            replaced++;
        } else {
            *w++ = *p++;
        }
    }
    *w = '\0';
    if (!replaced) {
        free(out);
        return NULL;
    }
    return out;
}
