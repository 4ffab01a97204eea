"""Checks an uploaded template scene inside Blender, before it is kept.

Started by src/render/scene_check.c as
    blender -b --factory-startup --disable-autoexec -noaudio \
        --python prodflow_scene_check.py
it speaks prodflow_render.py's protocol ("@pf " event lines; one JSON job
on stdin: {"op": "check_scene", "path": ...}) and answers with what the
file holds: Blender's version, its collections and cameras (what a
template may name) and the findings of prodflow_python.findings(), which
make the upload a refusal. The file is opened with scripts off, so
nothing in it runs here.
"""
import json
import os
import sys

import bpy

# The sibling module, without leaving a __pycache__ in share/ (it may be
# read-only, and it is no place for files made at run time).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import prodflow_python  # noqa: E402


def emit(event, **fields):
    fields["event"] = event
    sys.stdout.write("@pf " + json.dumps(fields) + "\n")
    sys.stdout.flush()


def check(job):
    try:
        bpy.ops.wm.open_mainfile(filepath=job["path"], load_ui=False, use_scripts=False)
    except Exception as e:  # the message names the file; the client sees only that it is unreadable
        sys.stderr.write("cannot open %s: %s\n" % (job["path"], e))
        emit("error", code="invalid_input", pointer="/file", message="Blender cannot open the file as a scene")
        return
    emit("done", outputs={
        "blender": bpy.app.version_string,
        "file_version": "%d.%d" % tuple(bpy.data.version[:2]),
        "collections": sorted(c.name for c in bpy.data.collections),
        "cameras": sorted(o.name for o in bpy.data.objects if o.type == "CAMERA"),
        "findings": prodflow_python.findings(),
    })


def main():
    emit("ready", blender=bpy.app.version_string, pid=os.getpid())
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            check(json.loads(line))
        except Exception as e:  # a bug here must still answer
            emit("error", code="internal", pointer="", message="%s: %s" % (type(e).__name__, e))


main()
