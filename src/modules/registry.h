/* The module registry: the static descriptor table joined with each
 * module's embedded contract. Built once at start-up, read-only afterwards,
 * so it is safe to share between threads. Everything it hands out is
 * borrowed and lives as long as the registry. */
#ifndef PF_MODULES_REGISTRY_H
#define PF_MODULES_REGISTRY_H

#include "contract/contract.h"
#include "modules/module.h"

/* One named port of a contract, read once at load. */
typedef struct pf_port {
    const char *name;
    const char *type; /* a port type from the vocabulary */
    const char *role; /* artifact role, or NULL */
    bool required;
} pf_port;

typedef struct pf_ports {
    pf_port *items;
    size_t len;
} pf_ports;

typedef struct pf_module {
    const pf_module_desc *desc;
    const char *key;
    const char *version;
    json_t *contract; /* owned by the registry */
    pf_ports inputs;  /* input_contract */
    pf_ports outputs; /* output_contract */
    const json_t *param_schema;
    pf_schema *params;    /* param_schema, compiled */
    const json_t *policy; /* default node policy */
    bool entry;
    bool external; /* side_effects == "external" */
    /* Where it runs (the contract's "execution"): inline on the caller's
     * thread, or in a child process under its limits (docs/runtime.md). */
    pf_execution execution;
    const char *queue; /* the Celery queue of its tasks: "cad", "render", "default", an external module's own */
    unsigned long long memory_bytes; /* the contract's limits for its child process; 0: none */
    long cpu_seconds;
    unsigned long long file_bytes; /* the largest file its child may write (limits.file_mb); 0: none */
    const char *limit_hint;        /* what to try when it goes past them */
} pf_module;

typedef struct pf_registry {
    pf_contract contract;
    pf_module *modules;
    size_t n_modules;
} pf_registry;

/* Loads and checks every contract; problems are appended to errs and the
 * result is NULL when any contract is broken. Free with pf_registry_free. */
pf_registry *pf_registry_load(pf_errors *errs);

/* Modules and families beyond the built-in ones, such as a test's no-op
 * modules. Everything is borrowed and must outlive the registry. */
typedef struct pf_registry_extra {
    const pf_module_desc *const *modules;
    size_t n_modules;
    const json_t *families; /* array of family objects, as in families.json */
} pf_registry_extra;
pf_registry *pf_registry_load_with(const pf_registry_extra *extra, pf_errors *errs);
void pf_registry_free(pf_registry *reg);

const pf_module *pf_registry_find(const pf_registry *reg, const char *key);
static inline bool pf_module_available(const pf_module *m) { return m->desc->execute || m->desc->celery_task; }

/* Port look-up by name; NULL when absent. */
const pf_port *pf_module_port(const pf_ports *ports, const char *name);
/* The schema of one parameter; NULL when the module has no such param. */
const json_t *pf_module_param(const pf_module *m, const char *name);

#endif
