/* Finding a workflow version: the store's saved workflows first, then the
 * starters shipped in share/workflows (which a saved copy may shadow). */
#include "workflow/workflow.h"

#include "core/json.h"

#include <string.h>

pf_error *pf_workflow_find(pf_store *store, const json_t *starters, const char *id, int version, json_t **doc_out) {
    *doc_out = NULL;
    pf_error *err = pf_store_workflow_get(store, id, version, doc_out);
    if (!err) return NULL;
    size_t i;
    json_t *starter;
    json_array_foreach(starters, i, starter) {
        if (strcmp(pf_json_str(starter, "id"), id) != 0) continue;
        if (version && json_integer_value(json_object_get(starter, "version")) != version) continue;
        pf_error_free(err);
        *doc_out = json_incref(starter);
        return NULL;
    }
    return err;
}
