#include "cad/step_record.h"

#include "cad/step_text.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *p, *end;
    int depth;
    pf_arena *arena;
} cursor;

/* "#" and its digits at c->p: an entity id, into *id. Digits only (no
 * sign or space, which strtoull took), at most 2^64 - 1. strtoull's
 * locale-aware loop was 3% of an inspect's instructions. */
static bool parse_id(cursor *c, uint64_t *id) {
    const char *p = c->p + 1;
    uint64_t v = 0;
    for (; p < c->end && *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    if (p == c->p + 1) return false;
    *id = v;
    c->p = p;
    return true;
}

static bool parse_value(cursor *c, pf_sv *out);

static bool is_name_char(char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

static bool is_number_char(char ch) {
    return (ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.' || ch == 'E' || ch == 'e';
}

/* False when the list is full (2^32 - 1 items, far beyond any record kept). */
static bool push(pf_arena *a, pf_sv *list, const pf_sv *item) {
    size_t n = list->n_items;
    if (n == UINT32_MAX) return false;
    if ((n & (n - 1)) == 0) /* grow at powers of two */
        list->items = pf_arena_grow(a, list->items, n * sizeof *list->items, (n ? n * 2 : 1) * sizeof *list->items);
    list->items[list->n_items++] = *item;
    return true;
}

/* "(v,v,…)" into a list value. */
static bool parse_list(cursor *c, pf_sv *out) {
    memset(out, 0, sizeof *out);
    out->kind = PF_SV_LIST;
    if (c->p >= c->end || *c->p != '(' || ++c->depth > 64) return false;
    c->p++;
    if (c->p < c->end && *c->p == ')') {
        c->p++;
        c->depth--;
        return true;
    }
    for (;;) {
        pf_sv item;
        if (!parse_value(c, &item) || !push(c->arena, out, &item)) return false;
        if (c->p >= c->end) return false;
        if (*c->p == ',') {
            c->p++;
            continue;
        }
        if (*c->p == ')') {
            c->p++;
            c->depth--;
            return true;
        }
        return false;
    }
}

static bool parse_string(cursor *c, pf_sv *out) {
    const char *start = ++c->p; /* after the opening quote */
    bool doubled = false;
    for (;;) {
        const char *q = memchr(c->p, '\'', (size_t)(c->end - c->p));
        if (!q) return false;
        c->p = q + 1;
        if (c->p < c->end && *c->p == '\'') {
            c->p++;
            doubled = true;
            continue;
        }
        break;
    }
    const char *raw = start;
    size_t n = (size_t)(c->p - 1 - start);
    if (doubled) { /* '' becomes ' before decoding */
        char *t = pf_arena_alloc(c->arena, n);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            t[k++] = start[i];
            if (start[i] == '\'') i++;
        }
        raw = t, n = k;
    }
    out->kind = PF_SV_STRING;
    out->text = pf_arena_alloc(c->arena, 2 * n + 1);
    pf_step_text_utf8_to(raw, n, out->text);
    return true;
}

static bool parse_value(cursor *c, pf_sv *out) {
    memset(out, 0, sizeof *out);
    if (c->p >= c->end) return false;
    char ch = *c->p;
    if (ch == '$' || ch == '*') {
        out->kind = ch == '$' ? PF_SV_NULL : PF_SV_DERIVED;
        c->p++;
        return true;
    }
    if (ch == '\'') return parse_string(c, out);
    if (ch == '(') return parse_list(c, out);
    if (ch == '#') {
        out->kind = PF_SV_REF;
        return parse_id(c, &out->ref);
    }
    if (ch == '.') {
        const char *close = memchr(c->p + 1, '.', (size_t)(c->end - c->p - 1));
        if (!close) return false;
        out->kind = PF_SV_ENUM;
        out->text = pf_arena_strndup(c->arena, c->p + 1, (size_t)(close - c->p - 1));
        c->p = close + 1;
        return true;
    }
    if ((ch >= '0' && ch <= '9') || ch == '-' || ch == '+') {
        char buf[64];
        size_t n = 0;
        while (c->p + n < c->end && n < sizeof buf - 1 && is_number_char(c->p[n]))
            n++;
        memcpy(buf, c->p, n);
        buf[n] = '\0';
        char *endp;
        out->kind = PF_SV_NUMBER;
        out->number = strtod(buf, &endp);
        if (endp == buf) return false;
        c->p += endp - buf;
        return true;
    }
    if (ch == '"') { /* binary literal: keep as text */
        const char *close = memchr(c->p + 1, '"', (size_t)(c->end - c->p - 1));
        if (!close) return false;
        size_t n = (size_t)(close - c->p - 1);
        out->kind = PF_SV_STRING;
        out->text = pf_arena_alloc(c->arena, 2 * n + 1);
        pf_step_text_utf8_to(c->p + 1, n, out->text);
        c->p = close + 1;
        return true;
    }
    if (is_name_char(ch)) {
        const char *start = c->p;
        while (c->p < c->end && is_name_char(*c->p))
            c->p++;
        char *name = pf_arena_strndup(c->arena, start, (size_t)(c->p - start));
        pf_sv args;
        if (!parse_list(c, &args)) return false;
        *out = args;
        out->kind = PF_SV_TYPED;
        out->text = name;
        return true;
    }
    return false;
}

bool pf_step_record_parse(const char *text, size_t len, pf_arena *arena, pf_step_record *out) {
    memset(out, 0, sizeof *out);
    cursor c = {text, text + len, 0, arena};
    if (c.p < c.end && *c.p == '#') {
        if (!parse_id(&c, &out->id) || c.p >= c.end || *c.p != '=') return false;
        c.p++;
    }
    bool ok;
    if (c.p < c.end && *c.p == '(') { /* complex: a list of typed parts */
        c.p++;
        out->args.kind = PF_SV_LIST;
        ok = true;
        while (ok && c.p < c.end && *c.p != ')') {
            pf_sv part;
            ok = parse_value(&c, &part) && part.kind == PF_SV_TYPED && push(arena, &out->args, &part);
        }
        ok = ok && c.p < c.end && *c.p == ')';
        if (ok) c.p++;
    } else {
        const char *start = c.p;
        while (c.p < c.end && is_name_char(*c.p))
            c.p++;
        out->name = pf_arena_strndup(arena, start, (size_t)(c.p - start));
        ok = c.p > start && parse_list(&c, &out->args);
    }
    ok = ok && c.p == c.end;
    if (!ok) memset(out, 0, sizeof *out);
    return ok;
}

const pf_sv *pf_step_arg(const pf_step_record *r, size_t i) { return i < r->args.n_items ? &r->args.items[i] : NULL; }

const pf_sv *pf_step_part(const pf_step_record *r, const char *name) {
    if (r->name) return NULL;
    for (size_t i = 0; i < r->args.n_items; i++)
        if (r->args.items[i].kind == PF_SV_TYPED && !strcmp(r->args.items[i].text, name)) return &r->args.items[i];
    return NULL;
}
