/* Render templates: studio set-ups described in JSON, and user .blend
 * scenes named by scene key (render/scene.h). They live in <data_root>/templates and <share_dir>/templates (the
 * data directory wins on a shared key) and are checked against
 * render_template.schema.json. */
#ifndef PF_RENDER_TEMPLATE_H
#define PF_RENDER_TEMPLATE_H

#include "core/error.h"

#include <jansson.h>

typedef struct pf_template_set {
    json_t *templates; /* key -> document, with "source" (its file) */
    json_t *problems;  /* file stem -> why the file was refused */
} pf_template_set;

/* Either directory may be NULL. Free the set with pf_template_set_free. */
void pf_templates_load(const char *share_dir, const char *data_root, pf_template_set *out);
void pf_template_set_free(pf_template_set *set);

/* Every reason doc is not a usable template, with its pointer; a blend
 * scene's "blend" is a scene key, looked up as render/scene.h says (either
 * root may be NULL). Returns how many. */
size_t pf_template_validate(const json_t *doc, const char *share_dir, const char *data_root, pf_errors *errs);

/* Picks the template for an explicit key, else for the category and artifact
 * kind (exact category before "*", then priority, then key). *chosen is a
 * new reference to a copy of the document with "reason" added. */
pf_error *pf_template_resolve(const pf_template_set *set, const char *explicit_key, const char *category,
                              const char *artifact_kind, json_t **chosen);

#endif
