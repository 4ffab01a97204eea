/* Error values: a code, a message and a JSON pointer into the offending
 * document. A pf_error is heap-owned by whoever receives it; free it with
 * pf_error_free. A pf_errors list collects every problem at once. */
#ifndef PF_CORE_ERROR_H
#define PF_CORE_ERROR_H

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>

typedef enum {
    PF_OK = 0,
    PF_EINVAL,       /* input breaks a contract or schema */
    PF_ENOTFOUND,    /* a named thing does not exist */
    PF_ECONFLICT,    /* state forbids the change */
    PF_ETOOLARGE,    /* input over a configured limit */
    PF_EIO,          /* file system or database failure */
    PF_EUNAVAILABLE, /* capability not built yet or not installed */
    PF_ETIMEOUT,
    PF_ECANCELLED,
    PF_EINTERNAL,
    PF_EUNAUTHORIZED, /* no credentials, or ones that are not valid */
    PF_EFORBIDDEN,    /* valid credentials without the role it takes */
    PF_ELIMIT,        /* a resource limit ended the work (memory, CPU time, disk quota) */
} pf_code;

typedef struct pf_error {
    pf_code code;
    char *pointer; /* JSON pointer, "" for the whole document; never NULL */
    char *message; /* one sentence; never NULL */
} pf_error;

typedef struct pf_errors {
    pf_error *items;
    size_t len, cap;
} pf_errors;

const char *pf_code_name(pf_code code);
/* The code named name (as pf_code_name spells it); PF_EINTERNAL when none is. */
pf_code pf_code_from_name(const char *name);
int pf_code_http_status(pf_code code);

/* Returns a new error; never NULL (aborts on out-of-memory). */
pf_error *pf_error_new(pf_code code, const char *pointer, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void pf_error_free(pf_error *err);

void pf_errors_init(pf_errors *list);
void pf_errors_add(pf_errors *list, pf_code code, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same with the arguments as a va_list, for a module's own wrapper. */
void pf_errors_vadd(pf_errors *list, pf_code code, const char *pointer, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
/* Moves err's contents into list and frees err. */
void pf_errors_take(pf_errors *list, pf_error *err);
void pf_errors_clear(pf_errors *list);
/* [{"code","pointer","message"}...]; new reference. */
json_t *pf_errors_to_json(const pf_errors *list);
json_t *pf_error_to_json(const pf_error *err);

/* JSON pointer helpers (RFC 6901). Results are malloc'd; caller frees. */
char *pf_ptr_join(const char *base, const char *token);
char *pf_ptr_index(const char *base, size_t index);

#endif
