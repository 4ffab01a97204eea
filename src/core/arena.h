/* A bump allocator: many small allocations that all die together, freed in
 * one call. The STEP scanner keeps its parsed records in one, so a
 * 20 MB file costs a few large mallocs instead of one per value. */
#ifndef PF_CORE_ARENA_H
#define PF_CORE_ARENA_H

#include <stddef.h>

typedef struct pf_arena_block pf_arena_block;

typedef struct pf_arena {
    pf_arena_block *head; /* the block being filled; older ones behind it */
    size_t used, size;    /* of head */
} pf_arena;

/* n bytes aligned for any type; aborts on out-of-memory like pf_xmalloc. */
void *pf_arena_alloc(pf_arena *a, size_t n);
/* A copy of the n bytes at s with a terminating NUL. */
char *pf_arena_strndup(pf_arena *a, const char *s, size_t n);
/* Grows p (n_old bytes, the arena's last allocation or not) to n_new bytes:
 * in place when p is the last allocation and fits, else by copying. */
void *pf_arena_grow(pf_arena *a, void *p, size_t n_old, size_t n_new);
/* Frees every block; the arena is empty and usable again. */
void pf_arena_free(pf_arena *a);

#endif
