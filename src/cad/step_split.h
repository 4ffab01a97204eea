/* Splitting STEP (ISO 10303-21) text into records, at memory speed.
 * The whole file is one buffer (the scanner maps it). A vector pass finds
 * the only bytes that can change the splitter's state (quotes, comment
 * slashes, parentheses, semicolons and control bytes) 64 at a time; records
 * nobody wants are never copied. Wanted records are handed over as text
 * with white space and comments outside strings removed. */
#ifndef PF_CAD_STEP_SPLIT_H
#define PF_CAD_STEP_SPLIT_H

#include "core/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pf_step_split_fns {
    /* Whether records of this entity type are wanted; asked once per simple
     * entity record, with the name as it stands before its "(". */
    bool (*wanted)(const char *name, size_t n);
    /* Whether a complex entity record ("#7=(A()B())") is wanted, asked with
     * its raw text (white space and comments still in); NULL keeps them all. */
    bool (*wanted_complex)(const char *raw, size_t n);
    /* A wanted entity record, a complex entity ("#7=(A()B())"), or a header
     * record ("FILE_SCHEMA((…))"), as cleaned text without its ";". */
    void (*record)(void *user, const char *text, size_t n);
    void *user;
} pf_step_split_fns;

/* Splits data (len bytes of the file named source, for messages). Checks the
 * ISO-10303-21; magic, refuses binary data (control bytes other than white
 * space) and unfinished strings, comments or files, and counts entity
 * records into *entities. A wanted record longer than 4 MiB is skipped. */
pf_error *pf_step_split(const char *data, size_t len, const char *source, const pf_step_split_fns *fns,
                        uint64_t *entities);

#endif
