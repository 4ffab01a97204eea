/* Template scenes for tests, made by Blender from a project script
 * (tests/fixtures/scenes/make_scene.py; no .blend is committed), and what
 * Python a .blend carries, counted by tests/fixtures/scenes/inspect_blend.py. */
#ifndef PF_TESTS_SCENE_H
#define PF_TESTS_SCENE_H

#include <jansson.h>
#include <stdbool.h>

/* Writes out: a scene with the camera "HeroCam" and the empty collection
 * "ProductSlot"; kind "clean" has nothing else, "prop" adds an empty
 * "Prop", "hostile" adds a text block registered as a module and scripted
 * drivers calling os.system, which would create marker if they ever ran.
 * True when Blender made it. */
bool pf_test_make_scene(const char *out, const char *kind, const char *marker);

/* {"texts": N, "scripted_drivers": N, "objects": [...]} of the .blend at
 * path (new reference), or NULL when Blender cannot open it. */
json_t *pf_test_inspect_blend(const char *path);

#endif
