"""Python a Blender file carries, and what it names outside itself.

A .blend can hold code that runs when someone opens it with auto-run
scripts on: text blocks (a text registered as a module runs at load) and
scripted driver expressions. Prodflow opens files with auto-run off, but
the scenes it is given and the files it delivers go on to other people's
Blenders. prodflow_scene_check.py refuses an upload that carries any
(findings); prodflow_render.py strips whatever is left before it renders
or saves a scene (strip), so a delivered .blend never carries Python.
"""
import bpy

# ID types whose data may live in another file, named by a path.
FILE_POOLS = ("images", "sounds", "fonts", "movieclips", "volumes", "cache_files")


def _holders():
    """(label, holder) for everything that may carry drivers: every ID and
    the node trees embedded in materials, worlds, lights, textures and
    scenes, which bpy.data lists nowhere else."""
    for idb in bpy.data.user_map():
        label = "%s \"%s\"" % (type(idb).__name__, idb.name)
        yield label, idb
        tree = getattr(idb, "node_tree", None)
        if tree is not None:
            yield "%s node tree" % label, tree


def _scripted(holder):
    anim = getattr(holder, "animation_data", None)
    if anim is None:
        return []
    return [fc for fc in anim.drivers if fc.driver.type == "SCRIPTED"]


def findings():
    """Every piece of Python and every outside file the open file has, as
    dicts with "what", "name" and a "reason" for the person who uploaded it."""
    found = []
    for text in bpy.data.texts:
        reason = "text block \"%s\"" % text.name
        if text.use_module:
            reason += " is registered to run as a module when the file opens"
        else:
            reason += " can hold a script"
        found.append({"what": "text", "name": text.name, "module": bool(text.use_module), "reason": reason})
    for label, holder in _holders():
        for fc in _scripted(holder):
            expr = fc.driver.expression
            found.append({"what": "driver", "name": "%s %s[%d]" % (label, fc.data_path, fc.array_index),
                          "expression": expr,
                          "reason": "the driver on %s %s[%d] is a scripted expression (%s); use an Average, "
                                    "Sum, Min or Max driver or bake it" % (label, fc.data_path, fc.array_index,
                                                                          expr[:80])})
    for tree in [t for _, t in _holders() if isinstance(t, bpy.types.NodeTree)]:
        for node in tree.nodes:
            if node.bl_idname == "ShaderNodeScript":
                found.append({"what": "script_node", "name": "%s / %s" % (tree.name, node.name),
                              "reason": "the shader node \"%s\" in \"%s\" runs an OSL script" % (node.name,
                                                                                                 tree.name)})
    for lib in bpy.data.libraries:
        found.append({"what": "library", "name": lib.name,
                      "reason": "the scene links data from another file (library \"%s\"); make it local" % lib.name})
    for pool in FILE_POOLS:
        for idb in getattr(bpy.data, pool):
            path = getattr(idb, "filepath", "")
            if not path or path == "<builtin>" or getattr(idb, "packed_file", None) is not None:
                continue
            if pool == "images" and idb.source not in ("FILE", "SEQUENCE", "MOVIE", "TILED"):
                continue
            found.append({"what": "file", "name": idb.name,
                          "reason": "%s \"%s\" is read from a file outside the scene; pack it (File > External "
                                    "Data > Pack Resources)" % (pool[:-1].replace("_", " "), idb.name)})
    return found


def strip():
    """Removes every text block and scripted driver. Returns how many of each."""
    texts = len(bpy.data.texts)
    for text in list(bpy.data.texts):
        bpy.data.texts.remove(text)
    drivers = 0
    for _, holder in list(_holders()):
        for fc in _scripted(holder):
            holder.animation_data.drivers.remove(fc)
            drivers += 1
    return {"texts": texts, "drivers": drivers}
