/* One STEP data record, parsed: "#12=PRODUCT('a','b','',(#3))" or a complex
 * "#7=(LENGTH_UNIT()SI_UNIT(.MILLI.,.METRE.))". A record's names, strings
 * and lists live in the arena it was parsed into and die with it. */
#ifndef PF_CAD_STEP_RECORD_H
#define PF_CAD_STEP_RECORD_H

#include "core/arena.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    PF_SV_NULL,    /* $ */
    PF_SV_DERIVED, /* * */
    PF_SV_NUMBER,
    PF_SV_STRING,
    PF_SV_ENUM,  /* .MILLI. (text without dots) */
    PF_SV_REF,   /* #12 */
    PF_SV_LIST,  /* (a,b,…) */
    PF_SV_TYPED, /* NAME(a,…): text is NAME, items its arguments */
} pf_sv_kind;

/* 24 bytes: the kept records of a large assembly hold millions of values
 * (its shape representations list every placed item), and at 48 bytes
 * they were 12 MB of an inspect's 19 MB of heap. Read the member the kind
 * names: number, ref or text (also a TYPED value's name). */
typedef struct pf_sv {
    pf_sv_kind kind;
    uint32_t n_items; /* of a LIST or TYPED value; a kept record is at most 4 MiB */
    union {
        double number;
        uint64_t ref;
        char *text;
    };
    struct pf_sv *items;
} pf_sv;

typedef struct pf_step_record {
    uint64_t id; /* 0 for header records */
    char *name;  /* entity name; NULL for a complex entity */
    pf_sv args;  /* PF_SV_LIST of arguments, or of PF_SV_TYPED parts when complex */
} pf_step_record;

/* Parses one record's text, with white space outside strings and comments
 * already removed; '' inside strings becomes '. False on malformed text
 * (what it had allocated stays in the arena until the arena is freed). */
bool pf_step_record_parse(const char *text, size_t len, pf_arena *arena, pf_step_record *out);

/* Argument i of a record, or NULL. */
const pf_sv *pf_step_arg(const pf_step_record *r, size_t i);
/* For complex entities: the part named name, or NULL. */
const pf_sv *pf_step_part(const pf_step_record *r, const char *name);

#endif
