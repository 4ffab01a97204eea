#include "cli/cli.h"

#include "core/path.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
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

const char *pf_cli_share_dir(void) {
    const char *env = getenv("PRODFLOW_SHARE_DIR");
    return env && *env ? env : PF_SHARE_DIR;
}

const char *pf_cli_web_dir(void) {
    const char *env = getenv("PRODFLOW_WEB_DIR");
    if (env && *env) return env;
    return access(PF_WEB_DIR "/index.html", R_OK) == 0 ? PF_WEB_DIR : NULL;
}

const char *pf_cli_flags_and_file(int argc, char **argv, const struct option *opts, int *flags, void (*usage)(FILE *)) {
    int index = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, &index)) != -1) {
        if (c != 0 && c != '?') {
            for (int i = 0; opts[i].name; i++)
                if (opts[i].val == c) flags[i] = 1;
            continue;
        }
        usage(stderr);
        return NULL;
    }
    if (optind != argc - 1) {
        usage(stderr);
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
