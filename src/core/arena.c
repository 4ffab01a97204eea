#include "core/arena.h"

#include "core/mem.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN alignof(max_align_t)
#define MIN_BLOCK (64u << 10)

struct pf_arena_block {
    pf_arena_block *prev;
    alignas(max_align_t) unsigned char data[];
};

static size_t round_up(size_t n) { return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1); }

void *pf_arena_alloc(pf_arena *a, size_t n) {
    n = round_up(n ? n : 1);
    if (!a->head || a->size - a->used < n) {
        /* Blocks double up to 4 MiB: few mallocs for large files, little
         * waste for small ones. */
        size_t size = a->size ? a->size * 2 : MIN_BLOCK;
        if (size > (4u << 20)) size = 4u << 20;
        if (size < n) size = n;
        pf_arena_block *b = pf_xmalloc(sizeof *b + size);
        b->prev = a->head;
        a->head = b;
        a->size = size;
        a->used = 0;
    }
    void *p = a->head->data + a->used;
    a->used += n;
    return p;
}

char *pf_arena_strndup(pf_arena *a, const char *s, size_t n) {
    char *p = pf_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void *pf_arena_grow(pf_arena *a, void *p, size_t n_old, size_t n_new) {
    if (n_new <= n_old) return p;
    if (p && a->head && (unsigned char *)p + round_up(n_old) == a->head->data + a->used &&
        a->size - a->used >= round_up(n_new) - round_up(n_old)) {
        a->used += round_up(n_new) - round_up(n_old);
        return p;
    }
    void *q = pf_arena_alloc(a, n_new);
    if (n_old) memcpy(q, p, n_old);
    return q;
}

void pf_arena_free(pf_arena *a) {
    for (pf_arena_block *b = a->head, *prev; b; b = prev) {
        prev = b->prev;
        free(b);
    }
    memset(a, 0, sizeof *a);
}
