#include "api/audit.h"

#include "core/clock.h"
#include "core/id.h"
#include "core/log.h"

void pf_audit_record(pf_store *store, const pf_principal *who, const char *method, const char *path, int status) {
    char id[PF_ID_MAX], stamp[PF_ISO_LEN];
    pf_id_new("aud", id);
    pf_iso_now(stamp);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "id", id, "at", stamp, "token_id", who->token_id,
                            "token", who->name, "method", method, "path", path, "status", status);
    pf_store_item item = {.op = PF_ITEM_CREATE, .kind = "audit", .key = id, .doc = doc};
    pf_error *err = pf_store_items_write(store, &item, 1);
    if (err) {
        pf_log(PF_LOG_ERROR, "audit.unrecorded", "%s %s by %s was not recorded in the audit log: %s", method, path,
               who->name, err->message);
        pf_error_free(err);
    }
    json_decref(doc);
}

pf_error *pf_audit_list(pf_store *store, size_t limit, json_t **list_out) {
    json_t *all = NULL;
    pf_error *err = pf_store_item_list(store, "audit", &all);
    if (err) return err;
    /* Keys sort by time, and the store lists them by key: take from the end. */
    *list_out = json_array();
    for (size_t i = json_array_size(all); i-- > 0 && json_array_size(*list_out) < limit;) {
        json_t *entry = json_array_get(all, i);
        json_object_del(entry, "created_at");
        json_object_del(entry, "updated_at");
        json_object_del(entry, "revision");
        json_array_append(*list_out, entry);
    }
    json_decref(all);
    return NULL;
}
