/* Subcommands of the prodflow CLI; each lives in its own cmd_*.c file. */
#ifndef PF_CLI_CLI_H
#define PF_CLI_CLI_H

#include "modules/registry.h"
#include "runtime/runtime.h"
#include "store/store.h"

#include <stdio.h>

/* A command checks its whole command line before it does any work. On a
 * usage error it says what is wrong on stderr and returns PF_EXIT_USAGE;
 * main then prints the command's usage below (so every usage error shows
 * it, once). */
typedef struct pf_command {
    const char *name;
    const char *summary;               /* NULL: not listed (commands prodflow runs itself) */
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand */
    void (*usage)(FILE *out);
} pf_command;

extern const pf_command pf_cmd_serve, pf_cmd_validate, pf_cmd_node_definitions, pf_cmd_module, pf_cmd_cad,
    pf_cmd_render, pf_cmd_run, pf_cmd_token, pf_cmd_module_child, pf_cmd_module_zygote, pf_cmd_worker, pf_cmd_migrate,
    pf_cmd_store;

/* Exit codes shared by every subcommand. */
enum { PF_EXIT_OK = 0, PF_EXIT_FAILED = 1, PF_EXIT_USAGE = 2 };

/* Loads the registry or prints why it cannot; NULL on failure. */
pf_registry *pf_cli_registry(void);
/* Prints every problem as "prefix: pointer: message". */
void pf_cli_print_errors(FILE *out, const char *prefix, const pf_errors *errs);
/* A --set value: JSON when it parses (numbers, booleans, objects), else a string. New reference. */
json_t *pf_cli_value(const char *text);
/* Parses boolean long options (each opts[i].val sets flags[i] to 1) and
 * exactly one positional argument, which it returns; NULL after saying
 * what is wrong (as "prodflow NAME: ...") when the command line is. */
struct option;
const char *pf_cli_flags_and_file(int argc, char **argv, const struct option *opts, int *flags, const char *name);
/* A module progress sink: a one-line bar on a terminal, plain lines
 * otherwise. user may be a const char * label shown before the message. */
void pf_cli_progress(void *user, double fraction, const char *message);
/* Ends the progress bar's line on a terminal. */
void pf_cli_progress_done(void);
/* True when argv holds -h or --help. */
int pf_cli_wants_help(int argc, char **argv);
/* Opens an installation's store: store_url, else $PRODFLOW_STORE, else
 * SQLite in data_dir (made when missing). */
pf_error *pf_cli_open_store(const char *data_dir, const char *store_url, struct pf_store **out);
/* Where that store is, by the same rule (borrowed). */
const char *pf_cli_store_location(const char *data_dir, const char *store_url);
/* This program's own path (isolated modules run it as `module-child`);
 * caller frees; NULL when the system cannot tell. */
char *pf_cli_self(void);
/* Runs one module invocation as a run would: a module whose contract says
 * "execution": "process" (unless it starts its own process, as Blender's
 * do) in an isolated child, as `module-child`, under its contract's limits
 * with the operator's overrides (limits, n_limits; may be none); any other
 * inline. So `cad export` or `module run` of a file that makes OCCT take
 * all memory fails with the limit it went past, as the node would, instead
 * of taking the machine with it. ctx->limits is set here. */
pf_error *pf_cli_invoke(const pf_registry *reg, const char *key, pf_module_ctx *ctx, const pf_limit_override *limits,
                        size_t n_limits, const json_t *inputs, const json_t *params, json_t **outputs);
/* Parses a --memory-limit, --file-limit or --cpu-limit value,
 * "[QUEUE=]VALUE", into limits (at most max, *n of them so far); letter
 * is the option's getopt letter, the same in every command that takes
 * them ('L', 'F', 'X'). Prints why not and returns false on a bad one.
 * Queue names are malloc'd: pf_cli_limits_free. */
bool pf_cli_limit(int letter, const char *text, pf_limit_override *limits, size_t max, size_t *n);
void pf_cli_limits_free(pf_limit_override *limits, size_t n);
/* A directory a command may make (a data directory, an output directory):
 * whether it existed before, so that a command that fails removes what it
 * made and leaves no ./var behind (pf_cli_dir_undo). */
typedef struct pf_cli_dir {
    const char *path;
    bool existed;
} pf_cli_dir;
pf_cli_dir pf_cli_dir_note(const char *path);
/* When rc is not PF_EXIT_OK and the directory did not exist before: removes
 * it with everything below it (tree), or only when empty (!tree). */
void pf_cli_dir_undo(const pf_cli_dir *dir, int rc, bool tree);
/* Prints "prefix: message at pointer" on stderr for each problem and adds
 * {"pointer", "message"} to errors (a --json document's list; may be NULL). */
void pf_cli_report_errors(const char *prefix, const pf_errors *errs, json_t *errors);
void pf_cli_report_error(const char *prefix, const pf_error *err, json_t *errors);
/* Prints a --json command's document on stdout, its one line of output. */
void pf_cli_print_json(const json_t *doc);
/* The share directory: $PRODFLOW_SHARE_DIR, else the build's share/. */
const char *pf_cli_share_dir(void);
/* The built editor: $PRODFLOW_WEB_DIR, else the build's web/dist when it exists, else NULL. */
const char *pf_cli_web_dir(void);

#endif
