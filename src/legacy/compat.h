/* The compat adapter: legacy render settings, the old flat shape an output
 * type may still carry, mapped to an artifact kind and the invocation
 * overrides of an Order Rendering workflow. docs/legacy.md has the table.
 * Nothing is dropped in silence: a setting is mapped, refused with an error,
 * or reported in a warning. */
#ifndef PF_LEGACY_COMPAT_H
#define PF_LEGACY_COMPAT_H

#include "core/error.h"

#include <jansson.h>
#include <stdbool.h>

typedef struct pf_compat_result {
    char *artifact_kind; /* "still_image", "turntable_video" or "production_blend" */
    json_t *overrides;   /* invocation parameter -> value */
    json_t *warnings;    /* [{"pointer", "message"}] */
    json_t *unmapped;    /* the keys no row maps: kept in the settings, warned about, without effect */
} pf_compat_result;

/* settings is borrowed; problems go to errs with pointers under base
 * ("/legacy_render_settings"). Returns 0 and fills *out when there are
 * none; free it with pf_compat_result_free. */
int pf_compat_map(const json_t *settings, const char *base, pf_errors *errs, pf_compat_result *out);
void pf_compat_result_free(pf_compat_result *r);
/* "eevee", "BLENDER_EEVEE" or "BLENDER_EEVEE_NEXT": mapped to cycles with a
 * warning. */
bool pf_compat_is_eevee(const char *engine);

#endif
