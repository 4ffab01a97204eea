/* A JSON Schema (draft 7) validator for the subset Prodflow's contracts use;
 * docs/json-schema-subset.md lists it. Schemas and instances are borrowed;
 * problems are appended to a pf_errors list with the instance's pointer. */
#ifndef PF_CORE_JSONSCHEMA_H
#define PF_CORE_JSONSCHEMA_H

#include "core/error.h"

#include "core/json.h"

#include <jansson.h>
#include <stdbool.h>

/* A schema compiled for repeated use; it borrows from the json_t it was
 * compiled from, which must outlive it. Free with pf_schema_free. */
typedef struct pf_schema pf_schema;
pf_schema *pf_schema_compile(const json_t *schema);
void pf_schema_free(pf_schema *schema);
/* pf_schema_validate for a compiled schema. */
size_t pf_schema_run(const pf_schema *schema, const json_t *instance, const char *base_pointer, pf_errors *out);
/* pf_schema_run, calling visit(user, key, i, item) right after checking
 * item i of an array that is the instance's member key: a caller that
 * checks those items further meets each while the schema pass has just
 * read it, where reading a large document again later misses the cache.
 * The problems and their order are pf_schema_run's. */
typedef void (*pf_schema_visit_fn)(void *user, const char *key, size_t index, const json_t *item);
size_t pf_schema_run_visiting(const pf_schema *schema, const json_t *instance, const char *base_pointer, pf_errors *out,
                              pf_schema_visit_fn visit, void *user);

/* Appends a problem for every violation, pointers under base_pointer.
 * Returns how many it added. */
size_t pf_schema_validate(const json_t *schema, const json_t *instance, const char *base_pointer, pf_errors *out);
/* pf_schema_validate paid from *budget (PF_REGEX_BUDGET units, core/regex.h)
 * that the caller shares between every schema of one request: each call of
 * pf_schema_validate gets a fresh budget, so a request carrying many
 * schemas would otherwise multiply the bound. */
size_t pf_schema_validate_paid(const json_t *schema, const json_t *instance, const char *base_pointer, pf_errors *out,
                               long *budget);
bool pf_schema_is_valid(const json_t *schema, const json_t *instance);
/* Instance with the schema's property defaults filled in, recursively,
 * where keys are missing. New reference: a copy where something was filled
 * in, else instance itself; values it did not change are shared with
 * instance, so treat both as read-only. */
json_t *pf_schema_apply_defaults(const json_t *schema, const json_t *instance);
/* Checks that a schema uses only the supported subset and is well formed
 * (known types, compilable patterns, sane bounds). Returns problems added. */
size_t pf_schema_check(const json_t *schema, const char *base_pointer, pf_errors *out);
/* pf_schema_check paid from a shared budget, as pf_schema_validate_paid. */
size_t pf_schema_check_paid(const json_t *schema, const char *base_pointer, pf_errors *out, long *budget);

#endif
