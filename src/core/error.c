#include "core/error.h"
#include "core/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    int http;
} code_info[] = {
    [PF_OK] = {"ok", 200},
    [PF_EINVAL] = {"invalid", 422},
    [PF_ENOTFOUND] = {"not_found", 404},
    [PF_ECONFLICT] = {"conflict", 409},
    [PF_ETOOLARGE] = {"too_large", 413},
    [PF_EIO] = {"io", 500},
    [PF_EUNAVAILABLE] = {"unavailable", 501},
    [PF_ETIMEOUT] = {"timeout", 504},
    [PF_ECANCELLED] = {"cancelled", 409},
    [PF_EINTERNAL] = {"internal", 500},
    [PF_EUNAUTHORIZED] = {"unauthorized", 401},
    [PF_EFORBIDDEN] = {"forbidden", 403},
    [PF_ELIMIT] = {"limit_exceeded", 422},
};

const char *pf_code_name(pf_code code) { return code_info[code].name; }
int pf_code_http_status(pf_code code) { return code_info[code].http; }

pf_code pf_code_from_name(const char *name) {
    for (size_t i = 0; name && i < sizeof code_info / sizeof *code_info; i++)
        if (code_info[i].name && strcmp(code_info[i].name, name) == 0) return (pf_code)i;
    return PF_EINTERNAL;
}

/* Messages and pointers quote what they were given (a path segment, a
 * header), which need not be UTF-8; repaired here, every error can become
 * JSON (pf_error_to_json) and a problem response. */
static void fill(pf_error *err, pf_code code, const char *pointer, const char *fmt, va_list ap) {
    err->code = code;
    err->pointer = pf_utf8_repair(pf_strdup(pointer ? pointer : ""));
    err->message = pf_utf8_repair(pf_vasprintf(fmt, ap));
}

pf_error *pf_error_new(pf_code code, const char *pointer, const char *fmt, ...) {
    pf_error *err = pf_xmalloc(sizeof *err);
    va_list ap;
    va_start(ap, fmt);
    fill(err, code, pointer, fmt, ap);
    va_end(ap);
    return err;
}

void pf_error_free(pf_error *err) {
    if (!err) return;
    free(err->pointer);
    free(err->message);
    free(err);
}

void pf_errors_init(pf_errors *list) { memset(list, 0, sizeof *list); }

static pf_error *grow(pf_errors *list) {
    if (list->len == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 8;
        list->items = pf_xrealloc(list->items, list->cap * sizeof *list->items);
    }
    return &list->items[list->len++];
}

void pf_errors_add(pf_errors *list, pf_code code, const char *pointer, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fill(grow(list), code, pointer, fmt, ap);
    va_end(ap);
}

void pf_errors_vadd(pf_errors *list, pf_code code, const char *pointer, const char *fmt, va_list ap) {
    fill(grow(list), code, pointer, fmt, ap);
}

void pf_errors_take(pf_errors *list, pf_error *err) {
    *grow(list) = *err;
    free(err);
}

void pf_errors_clear(pf_errors *list) {
    for (size_t i = 0; i < list->len; i++) {
        free(list->items[i].pointer);
        free(list->items[i].message);
    }
    free(list->items);
    pf_errors_init(list);
}

json_t *pf_error_to_json(const pf_error *err) {
    return json_pack("{s:s, s:s, s:s}", "code", pf_code_name(err->code), "pointer", err->pointer, "message",
                     err->message);
}

json_t *pf_errors_to_json(const pf_errors *list) {
    json_t *arr = json_array();
    for (size_t i = 0; i < list->len; i++)
        json_array_append_new(arr, pf_error_to_json(&list->items[i]));
    return arr;
}

char *pf_ptr_join(const char *base, const char *token) {
    size_t extra = 0;
    for (const char *p = token; *p; p++)
        extra += (*p == '~' || *p == '/');
    size_t blen = strlen(base), tlen = strlen(token);
    char *out = pf_xmalloc(blen + 1 + tlen + extra + 1);
    memcpy(out, base, blen);
    char *w = out + blen;
    *w++ = '/';
    for (const char *p = token; *p; p++) {
        if (*p == '~') {
            *w++ = '~';
            *w++ = '0';
        } else if (*p == '/') {
            *w++ = '~';
            *w++ = '1';
        } else
            *w++ = *p;
    }
    *w = '\0';
    return out;
}

char *pf_ptr_index(const char *base, size_t index) {
    char tok[32];
    snprintf(tok, sizeof tok, "%zu", index);
    return pf_ptr_join(base, tok);
}
