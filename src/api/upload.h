/* A request body that the server streamed to a temporary file instead of
 * memory: routes that take files (a route with an upload_dir). The server
 * owns the file: a handler that keeps it renames it away (within the data
 * directory); whatever is still at path when the request ends is deleted. */
#ifndef PF_API_UPLOAD_H
#define PF_API_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PF_UPLOAD_HEAD_BYTES 256 /* enough to sniff a format (PF_STEP_SNIFF_BYTES) */

typedef struct pf_upload {
    const char *path;         /* DATA/<upload_dir>/tmp/upload-XXXXXX, complete but not yet fsynced */
    char sha256[65];          /* of the file's bytes */
    uint64_t size;            /* bytes in the file */
    const char *filename;     /* ?filename= or the multipart part's file name; NULL when not given */
    const char *content_type; /* the body's, or the file part's in multipart; may be NULL */
    bool multipart;
    unsigned char head[PF_UPLOAD_HEAD_BYTES]; /* the first bytes, to sniff the format */
    size_t head_len;
} pf_upload;

#endif
