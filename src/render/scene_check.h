/* An uploaded template scene checked inside Blender before it is kept:
 * share/blender/prodflow_scene_check.py opens it with scripts off (the
 * same controlled start as a render: --factory-startup --disable-autoexec,
 * a clean environment) and says what it holds. */
#ifndef PF_RENDER_SCENE_CHECK_H
#define PF_RENDER_SCENE_CHECK_H

#include "core/error.h"

#include <jansson.h>

/* *report (new reference) is {blender, file_version, collections, cameras,
 * findings: [{what, name, reason}]}; a file Blender cannot open is
 * PF_EINVAL at /file. Blender runs under a time, CPU and memory limit of
 * its own, so a hostile file cannot hold the server. */
pf_error *pf_scene_check(const char *share_dir, const char *path, json_t **report);

#endif
