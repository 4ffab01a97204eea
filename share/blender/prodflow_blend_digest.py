"""Prodflow's structural digest of a .blend file, for the parity report.

Two saves of the same scene differ byte for byte (timestamps, pointer
order, compression), so parity compares what the file holds instead:
objects (type, data, parent, placement, material slots, vertex counts),
materials (base colour), collections, the world, the camera, render
settings and the frame range. Numbers are rounded to 4 decimals.

Started through the same controlled Blender start as the renders
(src/render/blender_worker.c):
    blender -b --factory-startup --disable-autoexec -noaudio \
        --python prodflow_blend_digest.py -- [ignored]
it reads one JSON job {"blend": path} per line on stdin and answers with
"@pf " event lines: "done" with {"digest": {...}}, or "error". The file is
opened with auto-run scripts disabled, so Python in a .blend never runs.
"""
import json
import os
import sys
import traceback

import bpy


def emit(event, **fields):
    fields["event"] = event
    sys.stdout.write("@pf " + json.dumps(fields) + "\n")
    sys.stdout.flush()


def r(v):
    return round(float(v), 4)


def vec(v):
    return [r(x) for x in v]


def base_color(m):
    if not m.use_nodes or not m.node_tree:
        return vec(m.diffuse_color)
    for n in m.node_tree.nodes:
        if n.type == "BSDF_PRINCIPLED":
            return vec(n.inputs["Base Color"].default_value)
    return None


def obj(o):
    d = {
        "name": o.name,
        "type": o.type,
        "data": o.data.name if o.data else None,
        "parent": o.parent.name if o.parent else None,
        "location": vec(o.matrix_world.translation),
        "rotation": vec(o.matrix_world.to_euler()),
        "scale": vec(o.matrix_world.to_scale()),
        "materials": [s.material.name if s.material else None for s in o.material_slots],
        "collections": sorted(c.name for c in o.users_collection),
        "hide_render": o.hide_render,
    }
    if o.type == "MESH":
        d["vertices"] = len(o.data.vertices)
        d["polygons"] = len(o.data.polygons)
    if o.type == "LIGHT":
        d["light"] = {"type": o.data.type, "energy": r(o.data.energy), "color": vec(o.data.color)}
    if o.type == "CAMERA":
        d["camera"] = {"type": o.data.type, "lens": r(o.data.lens), "ortho_scale": r(o.data.ortho_scale)}
    return d


def render_settings(s):
    rs = s.render
    d = {
        "engine": rs.engine,
        "resolution": [rs.resolution_x, rs.resolution_y, rs.resolution_percentage],
        "film_transparent": rs.film_transparent,
        "fps": r(rs.fps / rs.fps_base),
        "file_format": rs.image_settings.file_format,
        "view_transform": s.view_settings.view_transform,
        "look": s.view_settings.look,
    }
    if rs.engine == "CYCLES":
        d["samples"] = s.cycles.samples
        d["seed"] = s.cycles.seed
        d["device"] = s.cycles.device
    return d


def digest(path):
    bpy.ops.wm.open_mainfile(filepath=path, load_ui=False)
    scenes = []
    for s in sorted(bpy.data.scenes, key=lambda s: s.name):
        scenes.append({
            "name": s.name,
            "camera": s.camera.name if s.camera else None,
            "world": s.world.name if s.world else None,
            "frame_range": [s.frame_start, s.frame_end, s.frame_step],
            "render": render_settings(s),
            "objects": [obj(o) for o in sorted(s.objects, key=lambda o: o.name)],
        })
    return {
        "scenes": scenes,
        "materials": [{"name": m.name, "base_color": base_color(m)}
                      for m in sorted(bpy.data.materials, key=lambda m: m.name) if m.users],
        "collections": sorted(c.name for c in bpy.data.collections),
        "images": sorted(i.name for i in bpy.data.images if i.users),
    }


def main():
    emit("ready", blender=bpy.app.version_string, pid=os.getpid())
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            job = json.loads(line)
            path = job["blend"]
            if not os.path.isfile(path):
                emit("error", code="not_found", pointer="/blend", message="no .blend file to digest")
                continue
            emit("done", outputs={"digest": digest(path)})
        except Exception as e:  # one bad file must not end the process silently
            traceback.print_exc()
            emit("error", code="internal", pointer="", message="%s: %s" % (type(e).__name__, e))


main()
