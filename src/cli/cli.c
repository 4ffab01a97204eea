#include "cli/cli.h"

#include "core/bytes.h"
#include "core/mem.h"
#include "core/path.h"
#include "modules/invoke.h"
#include "runtime/isolate.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

pf_registry *pf_cli_registry(void) {
    pf_errors errs;
    pf_errors_init(&errs);
    pf_registry *reg = pf_registry_load(&errs);
    if (!reg) pf_cli_print_errors(stderr, "prodflow: registry", &errs);
    pf_errors_clear(&errs);
    return reg;
}

void pf_cli_print_errors(FILE *out, const char *prefix, const pf_errors *errs) {
    for (size_t i = 0; i < errs->len; i++)
        fprintf(out, "%s: %s: %s\n", prefix, errs->items[i].pointer[0] ? errs->items[i].pointer : "/",
                errs->items[i].message);
}

json_t *pf_cli_value(const char *text) {
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(text);
}

int pf_cli_wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) return 1;
    return 0;
}

const char *pf_cli_store_location(const char *data_dir, const char *store_url) {
    const char *env = getenv("PRODFLOW_STORE");
    return store_url && *store_url ? store_url : env && *env ? env : data_dir;
}

pf_error *pf_cli_open_store(const char *data_dir, const char *store_url, pf_store **out) {
    const char *location = pf_cli_store_location(data_dir, store_url);
    if (location == data_dir) {
        pf_error *err = pf_mkdirs(data_dir, 0755);
        if (err) return err;
    }
    return pf_store_open(location, out);
}

char *pf_cli_self(void) {
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) return NULL;
    path[n] = '\0';
    return pf_strdup(path);
}

pf_error *pf_cli_invoke(const pf_registry *reg, const char *key, pf_module_ctx *ctx, const pf_limit_override *limits,
                        size_t n_limits, const json_t *inputs, const json_t *params, json_t **outputs) {
    const pf_module *m = pf_registry_find(reg, key);
    char *self = m && m->execution == PF_EXEC_PROCESS && !m->desc->isolates_itself ? pf_cli_self() : NULL;
    if (!self) return pf_module_invoke(reg, key, ctx, inputs, params, outputs); /* it says what is wrong */
    ctx->limits = pf_isolate_limits(m, limits, n_limits);
    pf_error *err = pf_isolate_invoke(self, m, ctx, inputs, params, outputs, NULL);
    free(self);
    return err;
}

bool pf_cli_limit(int letter, const char *text, pf_limit_override *limits, size_t max, size_t *n) {
    const char *eq = strchr(text, '=');
    const char *value = eq ? eq + 1 : text;
    pf_limit_override o = {0};
    bool ok;
    bool size = letter != 'X';
    const char *option = letter == 'L' ? "--memory-limit" : letter == 'F' ? "--file-limit" : "--cpu-limit";
    if (letter == 'L') {
        ok = pf_bytes_parse(value, &o.memory_bytes);
    } else if (letter == 'F') {
        ok = pf_bytes_parse(value, &o.file_bytes) && o.file_bytes > 0;
    } else {
        char *end = NULL;
        o.cpu_seconds = strtol(value, &end, 10);
        ok = *value && !*end && o.cpu_seconds > 0;
    }
    if (!ok || *n == max || (eq && eq == text)) {
        fprintf(stderr, "%s takes [QUEUE=]%s (at most %zu of them), not \"%s\"\n", option,
                size ? "SIZE such as 6G or 512M" : "SECONDS", max, text);
        return false;
    }
    if (eq) o.queue = pf_strndup(text, (size_t)(eq - text));
    limits[(*n)++] = o;
    return true;
}

void pf_cli_limits_free(pf_limit_override *limits, size_t n) {
    for (size_t i = 0; i < n; i++)
        free((char *)limits[i].queue);
}

const char *pf_cli_share_dir(void) {
    const char *env = getenv("PRODFLOW_SHARE_DIR");
    return env && *env ? env : PF_SHARE_DIR;
}

const char *pf_cli_web_dir(void) {
    const char *env = getenv("PRODFLOW_WEB_DIR");
    if (env && *env) return env;
    return access(PF_WEB_DIR "/index.html", R_OK) == 0 ? PF_WEB_DIR : NULL;
}

const char *pf_cli_flags_and_file(int argc, char **argv, const struct option *opts, int *flags, const char *name) {
    int index = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, &index)) != -1) {
        if (c != 0 && c != '?') {
            for (int i = 0; opts[i].name; i++)
                if (opts[i].val == c) flags[i] = 1;
            continue;
        }
        return NULL; /* getopt said what */
    }
    if (optind != argc - 1) {
        fprintf(stderr, "prodflow %s: name one file\n", name);
        return NULL;
    }
    return argv[optind];
}

void pf_cli_progress(void *user, double fraction, const char *message) {
    const char *label = user ? user : "";
    if (fraction < 0) fraction = 0;
    if (isatty(STDERR_FILENO)) {
        int filled = (int)(fraction * 30);
        fprintf(stderr, "\r[%-30.*s] %3d%% %s%s%-24s", filled, "##############################", (int)(fraction * 100),
                label, *label ? ": " : "", message);
    } else {
        fprintf(stderr, "%3d%% %s%s%s\n", (int)(fraction * 100), label, *label ? ": " : "", message);
    }
}

void pf_cli_progress_done(void) {
    if (isatty(STDERR_FILENO)) fputc('\n', stderr);
}

pf_cli_dir pf_cli_dir_note(const char *path) {
    struct stat st;
    return (pf_cli_dir){.path = path, .existed = stat(path, &st) == 0};
}

void pf_cli_dir_undo(const pf_cli_dir *dir, int rc, bool tree) {
    if (rc == PF_EXIT_OK || dir->existed || !dir->path) return;
    if (tree)
        pf_error_free(pf_remove_tree(dir->path));
    else
        rmdir(dir->path); /* only when empty: what is in it was not ours to judge */
}

void pf_cli_report_error(const char *prefix, const pf_error *err, json_t *errors) {
    if (!err) return;
    fprintf(stderr, "%s: %s%s%s\n", prefix, err->message, *err->pointer ? " at " : "", err->pointer);
    if (errors)
        json_array_append_new(errors, json_pack("{s:s, s:s}", "pointer", err->pointer, "message", err->message));
}

void pf_cli_report_errors(const char *prefix, const pf_errors *errs, json_t *errors) {
    for (size_t i = 0; i < errs->len; i++)
        pf_cli_report_error(prefix, &errs->items[i], errors);
}

void pf_cli_print_json(const json_t *doc) {
    json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
    putchar('\n');
    fflush(stdout);
}
