#include "store/store_backend.h"

#include "core/mem.h"

#include <string.h>

pf_error *pf_store_open(const char *location, pf_store **out) {
    *out = NULL;
    if (strncmp(location, "postgres://", 11) == 0 || strncmp(location, "postgresql://", 13) == 0)
        return pf_error_new(PF_EUNAVAILABLE, "/store", "the PostgreSQL backend is not built yet; use SQLite");
    if (strncmp(location, "sqlite:", 7) == 0) return pf_store_sqlite_open(location + 7, out);
    char *path = pf_asprintf("%s/prodflow.db", location);
    pf_error *err = pf_store_sqlite_open(path, out);
    free(path);
    return err;
}

void pf_store_close(pf_store *s) {
    if (s) s->ops->close(s);
}
int pf_store_schema_version(pf_store *s) { return s->ops->schema_version(s); }
const char *pf_store_backend(const pf_store *s) { return s->ops->name; }

pf_error *pf_store_workflow_save(pf_store *s, const json_t *doc, int expected_version, bool create_only,
                                 json_t **stored_out) {
    return s->ops->workflow_save(s, doc, expected_version, create_only, stored_out);
}
pf_error *pf_store_workflow_get(pf_store *s, const char *id, int version, json_t **doc_out) {
    return s->ops->workflow_get(s, id, version, doc_out);
}
pf_error *pf_store_workflow_list(pf_store *s, const char *family, json_t **list_out) {
    return s->ops->workflow_list(s, family, list_out);
}
pf_error *pf_store_workflow_versions(pf_store *s, const char *id, json_t **list_out) {
    return s->ops->workflow_versions(s, id, list_out);
}
pf_error *pf_store_workflow_delete(pf_store *s, const char *id) { return s->ops->workflow_delete(s, id); }
