/* The vocabulary as data: port types, artifact roles and kinds, and the
 * families. Loaded once at start-up from the embedded contract files and
 * read-only afterwards; every pointer handed out lives as long as the
 * pf_contract that owns it. */
#ifndef PF_CONTRACT_CONTRACT_H
#define PF_CONTRACT_CONTRACT_H

#include "core/error.h"
#include "core/jsonschema.h"

#include <jansson.h>
#include <stdbool.h>

typedef struct pf_family {
    const char *key;        /* "cad_file" */
    const char *entry_step; /* "cad.resolve_step_path" */
    const json_t *doc;      /* the whole family entry from families.json */
    const json_t *palette;  /* array of module keys */
    const json_t *artifact_kinds;
    const json_t *context_schema;
    /* How an ordered line becomes the family's run context: each context
     * field names a JSON pointer into the order line's context
     * (pf_order_line_context), "" for the whole of it. NULL: the family
     * cannot be ordered. */
    const json_t *order_context;
    const json_t *rollouts; /* the rollouts its output types may use; NULL: all */
    /* The checks preflight runs for an ordered line of this family, in
     * order: [{id, description}]; catalog/preflight.c dispatches on id. */
    const json_t *preflight;
} pf_family;

typedef struct pf_contract {
    json_t *vocabulary; /* owned: vocabulary.json */
    json_t *families_doc;
    json_t *workflow_schema; /* structural schema of a workflow document */
    pf_schema *workflow_compiled;
    pf_family *families;
    size_t n_families;
} pf_contract;

/* Parses the embedded vocabulary and families, plus extra_families (an
 * array of family objects, borrowed; may be NULL); NULL on success. */
pf_error *pf_contract_load(pf_contract *out, const json_t *extra_families);
void pf_contract_free(pf_contract *c);

const pf_family *pf_contract_family(const pf_contract *c, const char *key);
bool pf_family_allows_step(const pf_family *f, const char *step);
/* Puts step on family's palette (an external module that names the
 * family), at start-up, before anything reads the contract; false when
 * there is no such family. */
bool pf_contract_admit_step(pf_contract *c, const char *family, const char *step);
bool pf_family_delivers_kind(const pf_family *f, const char *kind);
bool pf_family_allows_rollout(const pf_family *f, const char *rollout);
/* The family's run context for an ordered line, built from line_context
 * by the family's order_context. New reference; NULL (and a problem in
 * errs) when the family cannot be ordered or a field is missing. */
json_t *pf_family_order_context(const pf_family *f, const json_t *line_context, pf_errors *errs);

/* Vocabulary look-ups; NULL when unknown. Borrowed from c. */
const json_t *pf_contract_port_type(const pf_contract *c, const char *key);
const json_t *pf_contract_artifact_role(const pf_contract *c, const char *key);
const json_t *pf_contract_artifact_kind(const pf_contract *c, const char *key);

/* Can an output port of type `from` feed an input port of type `to`?
 * Equal types always can; a generic type lists what it accepts. */
bool pf_contract_ports_compatible(const pf_contract *c, const char *from, const char *to);

/* Parses an embedded JSON file into *doc_out (new reference). */
pf_error *pf_contract_embedded_json(const char *path, json_t **doc_out);

#endif
