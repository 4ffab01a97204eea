/* libFuzzer target: a workflow document (JSON) through validation and, when
 * it is valid, canonicalisation. Beyond "no crash", it checks two promises
 * of docs/architecture.md that saved versions rely on:
 *   - canonicalisation is idempotent: canonical(canonical(x)) has the same
 *     bytes as canonical(x), also after a round trip through its text;
 *   - the canonical form of a valid document is valid.
 * A violation traps, so libFuzzer keeps the input. */
#include "modules/registry.h"
#include "workflow/workflow.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pf_registry *registry(void) {
    static pf_registry *reg;
    if (!reg) {
        pf_errors errs;
        pf_errors_init(&errs);
        reg = pf_registry_load(&errs);
        if (!reg) {
            fprintf(stderr, "fuzz: the registry does not load: %s\n", errs.len ? errs.items[0].message : "?");
            abort();
        }
        pf_errors_clear(&errs);
    }
    return reg;
}

static size_t problems(const json_t *doc) {
    pf_errors errs;
    pf_errors_init(&errs);
    size_t n = pf_workflow_validate(registry(), doc, &errs);
    /* The count and the list must agree: callers test either. */
    if (n != errs.len) __builtin_trap();
    pf_errors_clear(&errs);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* As the API reads a body (api/http.c): duplicate keys are refused. */
    json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!doc) return 0;
    if (problems(doc) == 0) {
        json_t *c1 = pf_workflow_canonicalize(registry(), doc);
        char *t1 = pf_workflow_canonical_text(c1);
        if (problems(c1) != 0) __builtin_trap(); /* canonical form of a valid document is invalid */
        json_t *c2 = pf_workflow_canonicalize(registry(), c1);
        char *t2 = pf_workflow_canonical_text(c2);
        if (strcmp(t1, t2) != 0) __builtin_trap(); /* not idempotent */
        /* What the store keeps is the text; read back, it canonicalises to itself. */
        json_t *back = json_loads(t1, JSON_REJECT_DUPLICATES, NULL);
        if (!back) __builtin_trap();
        json_t *c3 = pf_workflow_canonicalize(registry(), back);
        char *t3 = pf_workflow_canonical_text(c3);
        if (strcmp(t1, t3) != 0) __builtin_trap();
        free(t3);
        json_decref(c3);
        json_decref(back);
        free(t2);
        json_decref(c2);
        free(t1);
        json_decref(c1);
    }
    json_decref(doc);
    return 0;
}
