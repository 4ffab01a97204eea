/* The layers of docs/architecture.md are the law for includes: a file in
 * src/ may include its own directory and the layers before its own, never
 * one after it, nor a neighbour in its own layer. The table is read from
 * the document itself, so the picture in the docs cannot drift from the
 * code. */
#include "check.h"

#include <ftw.h>
#include <stdlib.h>

#define MAX_DIRS 32

typedef struct {
    char dir[32];
    int layer;
} layer_dir;

static layer_dir dirs[MAX_DIRS];
static size_t n_dirs;
static int violations, files;

/* Rows look like "| 3 | `src/store/` | ..." or "| 4 | `src/cad/`, `src/render/` | ...". */
static void read_table(const char *path) {
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    if (!f) return;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        int layer = 0, used = 0;
        if (sscanf(line, "| %d | %n", &layer, &used) != 1 || layer <= 0) continue;
        const char *cell_end = strchr(line + used, '|');
        for (const char *p = line + used; (p = strstr(p, "`src/")) && (!cell_end || p < cell_end);) {
            p += 5;
            const char *end = strchr(p, '/');
            if (!end || (size_t)(end - p) >= sizeof dirs[0].dir || n_dirs == MAX_DIRS) break;
            snprintf(dirs[n_dirs].dir, sizeof dirs[0].dir, "%.*s", (int)(end - p), p);
            dirs[n_dirs++].layer = layer;
            p = end;
        }
    }
    fclose(f);
}

static int layer_of(const char *dir, size_t len) {
    for (size_t i = 0; i < n_dirs; i++)
        if (strlen(dirs[i].dir) == len && strncmp(dirs[i].dir, dir, len) == 0) return dirs[i].layer;
    return 0;
}

static const char *src_root;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st, (void)ftw;
    size_t n = strlen(path);
    if (type != FTW_F || n < 3 ||
        (strcmp(path + n - 2, ".c") && strcmp(path + n - 2, ".h") && strcmp(path + n - 4, ".cpp")))
        return 0;
    const char *rel = path + strlen(src_root) + 1;
    const char *slash = strchr(rel, '/');
    if (!slash) return 0;
    size_t own_len = (size_t)(slash - rel);
    int own = layer_of(rel, own_len);
    CHECK_MSG(own > 0, "src/%.*s is in no layer of docs/architecture.md", (int)own_len, rel);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    files++;
    char line[1024];
    for (int no = 1; fgets(line, sizeof line, f); no++) {
        const char *inc = line;
        while (*inc == ' ')
            inc++;
        if (strncmp(inc, "#include \"", 10) != 0) continue;
        inc += 10;
        const char *end = strchr(inc, '/');
        const char *quote = strchr(inc, '"');
        if (!end || (quote && quote < end)) continue; /* a file of the same directory */
        size_t len = (size_t)(end - inc);
        if (len == own_len && strncmp(inc, rel, len) == 0) continue;
        int target = layer_of(inc, len);
        bool ok = target > 0 && target < own;
        if (!ok) violations++;
        CHECK_MSG(ok, "src/%s:%d includes %.*s, which is layer %d; src/%.*s is layer %d", rel, no,
                  (int)(quote ? quote - inc : (long)len), inc, target, (int)own_len, rel, own);
    }
    fclose(f);
    return 0;
}

int main(void) {
    read_table(PF_SOURCE_DIR "/docs/architecture.md");
    CHECK_MSG(n_dirs >= 10, "docs/architecture.md lists %zu layer directories", n_dirs);
    CHECK(layer_of("core", 4) == 1);
    src_root = PF_SOURCE_DIR "/src";
    nftw(src_root, visit, 16, FTW_PHYS);
    CHECK_MSG(files > 100, "read %d source files", files);
    CHECK_INT(violations, 0);
    return pf_check_done("layers");
}
