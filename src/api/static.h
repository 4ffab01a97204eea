#ifndef PF_API_STATIC_H
#define PF_API_STATIC_H

#include "api/app.h"
#include "api/http.h"

/* Serves the editor, and published assets under /published/, for GET
 * requests outside /api/; false when the request is not for a static file
 * (the caller answers 404). */
bool pf_static_serve(const pf_app *app, const pf_request *req, pf_response *res);

/* GET /api/docs: the editor's API reference page (its index.html), or
 * without a built editor a page that links /api/openapi.json. */
void pf_handle_api_docs(const pf_app *app, const pf_request *req, pf_response *res);

#endif
