"""Prodflow's side of Blender: renders the jobs the render.* modules describe.

Started as
    blender -b --factory-startup --disable-autoexec -noaudio \
        --python prodflow_render.py -- [--models N]
it reads one JSON job per line on stdin and answers with event lines on
stdout, each starting with "@pf ". A cold render is a fresh process given one
job; a warm worker is the same process kept for many jobs. Both run the same
code below, so a warm render equals a cold one pixel for pixel.

The job is self-contained (see docs/render.md): glb, bbox, template,
materials, material_override, params, op and output, and model_cache when
imported products may be kept on disk.
"""
import collections
import ctypes
import json
import math
import os
import shutil
import struct
import sys
import time
import traceback

import bpy
from mathutils import Matrix, Vector

# The sibling module, without leaving a __pycache__ in share/ (it may be
# read-only, and it is no place for files made at run time).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import prodflow_python  # noqa: E402

SCENE = "Prodflow"
JOB_PREFIX = "pfjob_"  # data-blocks made for one job, removed before the next


def emit(event, **fields):
    fields["event"] = event
    sys.stdout.write("@pf " + json.dumps(fields) + "\n")
    sys.stdout.flush()


class JobError(Exception):
    def __init__(self, code, pointer, message):
        super().__init__(message)
        self.code, self.pointer, self.message = code, pointer, message


# ---------------------------------------------------------------- models

class Model:
    """An imported GLB, kept in a collection no scene links, so jobs can
    show it through a collection instance and leave it untouched."""

    def __init__(self, key, collection):
        self.key = key
        self.collection = collection
        self.parts = [o for o in collection.objects if o.type == "MESH"]
        # The importer's materials (the STEP colours), restored for parts a
        # job's material map leaves alone.
        self.original = {o.name: [s.material for s in o.material_slots] for o in self.parts}

    def remove(self):
        meshes = {o.data for o in self.parts}
        for o in list(self.collection.objects):
            bpy.data.objects.remove(o)
        for m in meshes:
            if m.users == 0:
                bpy.data.meshes.remove(m)
        bpy.data.collections.remove(self.collection)


def glb_check(path):
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError as e:
        raise JobError("not_found", "/inputs/glb", "cannot open the GLB %s: %s" % (path, e.strerror))
    if len(head) < 12 or head[:4] != b"glTF":
        raise JobError("invalid_input", "/inputs/glb", "%s is not a GLB file (no glTF header)" % path)
    length = struct.unpack_from("<I", head, 8)[0]
    if length != os.path.getsize(path):
        raise JobError("invalid_input", "/inputs/glb", "%s is truncated: its header says %d bytes" % (path, length))


def default_material():
    m = bpy.data.materials.get("prodflow_default")
    if m is None:
        m = bpy.data.materials.new("prodflow_default")
        m.use_nodes = True
        m.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (0.5, 0.5, 0.5, 1.0)
    return m


def import_model(glb, key):
    path = glb["path"]
    glb_check(path)
    # Only the glTF importer needs numpy (a fifth of a second to load), so
    # a job that finds its product cached never loads it. Debian's Blender
    # 3.4 importer still uses numpy.bool, gone in numpy 1.24.
    import numpy
    if not hasattr(numpy, "bool"):
        numpy.bool = bool
    before = set(bpy.data.objects)
    try:
        result = bpy.ops.import_scene.gltf(filepath=path)
    except Exception as e:  # the importer raises plain exceptions
        raise JobError("invalid_input", "/inputs/glb", "Blender cannot import %s: %s" % (path, str(e).strip()))
    imported = [o for o in bpy.data.objects if o not in before]
    if "FINISHED" not in result or not any(o.type == "MESH" for o in imported):
        raise JobError("invalid_input", "/inputs/glb", "%s holds no meshes to render" % path)
    coll = bpy.data.collections.new(collection_name(key))
    coll.use_fake_user = True
    for o in imported:
        coll.objects.link(o)
        for c in list(o.users_collection):
            if c != coll:
                c.objects.unlink(o)
        if o.type == "MESH" and not o.material_slots:
            o.data.materials.append(default_material())
        # Names come from products; extras.prodflow_path is the map key.
        o["prodflow_path"] = o.get("prodflow_path") or o.name
    return Model(key, coll)


def collection_name(key):
    return "pfmodel_" + key[:12]


# Bump when import_model changes what it makes: files of another format
# are then left alone and the GLB imported again.
DISK_FORMAT = 1


class DiskCache:
    """Imported products kept as .blend files in the data directory's cache
    (the job's model_cache: dir, and max_bytes, what the disk quota leaves,
    absent without a quota), named by the GLB's digest, this Blender's
    version and DISK_FORMAT. A cold process appends the product from there
    in hundredths of a second where importing the GLB takes tenths, and the
    glTF importer and numpy are never loaded. The file holds the product as
    the import made it, before any job's materials, so one file serves
    every material map."""

    def __init__(self, spec):
        self.dir = spec["dir"]
        self.max_bytes = spec.get("max_bytes")

    def path(self, key):
        return os.path.join(self.dir, "%s-blender%s-f%d.blend" % (key, bpy.app.version_string, DISK_FORMAT))

    def load(self, key):
        """The cached product, or None when there is none or it is unreadable
        (then the GLB is imported and the file replaced)."""
        path = self.path(key)
        if not os.path.exists(path):
            return None
        name = collection_name(key)
        try:
            with bpy.data.libraries.load(path, link=False) as (src, dst):
                dst.collections = [name] if name in src.collections else []
        except (OSError, RuntimeError) as e:
            emit("cache", disk="unreadable", reason=str(e).strip())
            return None
        forget_library(path)
        coll = dst.collections[0] if dst.collections else None
        if coll is None or not any(o.type == "MESH" for o in coll.objects):
            if coll is not None:
                Model(key, coll).remove()
            return None
        coll.use_fake_user = True
        return Model(key, coll)

    def store(self, model):
        """Writes the product atomically (a temporary file, fsync, rename),
        unless it would not fit under the disk quota. A failure costs only
        the next cold render's import, so it is reported, not raised."""
        if self.max_bytes == 0:
            emit("cache", disk="not kept", reason="the disk quota is reached")
            return
        final = self.path(model.key)
        tmp = os.path.join(self.dir, "%s%d-%s" % (TMP_PREFIX, os.getpid(), os.path.basename(final)))
        try:
            os.makedirs(self.dir, exist_ok=True)
            sweep_temporaries(self.dir)
            bpy.data.libraries.write(tmp, {model.collection}, fake_user=True, compress=False)
            if self.max_bytes is not None and os.path.getsize(tmp) > self.max_bytes:
                os.remove(tmp)
                emit("cache", disk="not kept", reason="it does not fit under the disk quota")
                return
            fsync_path(tmp)
            os.rename(tmp, final)
            fsync_path(self.dir)
        except OSError as e:
            emit("cache", disk="not kept", reason=e.strerror or str(e))
            if os.path.exists(tmp):
                os.remove(tmp)


TMP_PREFIX = ".tmp-"  # then the writer's pid


def fsync_path(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sweep_temporaries(directory):
    """Removes temporary files whose writer is gone (killed by a timeout or
    a cancel while writing): they would count against the quota forever."""
    for name in os.listdir(directory):
        if not name.startswith(TMP_PREFIX):
            continue
        pid = name[len(TMP_PREFIX):].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            try:
                os.remove(os.path.join(directory, name))
            except FileNotFoundError:
                pass  # another writer swept it first
        except PermissionError:
            pass  # alive, someone else's


def forget_library(path):
    """Appending leaves the file listed as a library; what came from it is
    local now, and a saved production file must not name a server path."""
    for lib in list(bpy.data.libraries):
        if os.path.abspath(bpy.path.abspath(lib.filepath)) == os.path.abspath(path):
            bpy.data.libraries.remove(lib)


class ModelCache:
    def __init__(self, capacity):
        self.capacity = max(capacity, 1)
        self.models = collections.OrderedDict()
        self.dirty = False  # set once a job replaced or saved the file
        # The last get()'s seconds: importing the GLB, loading the product
        # from the disk cache, storing it there; None for what it did not do.
        self.import_s = self.load_s = self.store_s = None

    def get(self, job):
        glb = job["glb"]
        key = glb.get("sha256") or "%s:%d" % (glb["path"], os.path.getmtime(glb["path"]) * 1000)
        self.import_s = self.load_s = self.store_s = None
        if key in self.models:
            self.models.move_to_end(key)
            emit("cache", hit=True, key=key)
            return self.models[key]
        # Only a digest names a disk file: the C side sends model_cache only
        # with one, and a key that is not one is never made a file name.
        disk = DiskCache(job["model_cache"]) if job.get("model_cache") and is_digest(key) else None
        emit("phase", phase="import")
        t = time.monotonic()
        # Appending marks the collection with a weak reference to the file
        # it came from; a production .blend (op "blend") would carry that
        # server path to the customer, so it always imports (and stores).
        model = disk.load(key) if disk and job["op"] != "blend" else None
        if model is not None:
            self.load_s = time.monotonic() - t
        else:
            model = import_model(glb, key)
            self.import_s = time.monotonic() - t
            if disk:
                t = time.monotonic()
                disk.store(model)
                self.store_s = time.monotonic() - t
        self.models[key] = model
        while len(self.models) > self.capacity:
            _, old = self.models.popitem(last=False)
            old.remove()
        emit("cache", hit=False, key=key, disk=self.load_s is not None)
        return model

    def timing(self, timing):
        """Adds the last get()'s phases to a job's timing; their sum."""
        spent = 0.0
        for name in ("import_s", "load_s", "store_s"):
            value = getattr(self, name)
            if value is not None:
                timing[name] = value
                spent += value
        return spent

    def clear(self):
        self.models.clear()


def is_digest(key):
    return len(key) == 64 and all(c in "0123456789abcdef" for c in key)


# ---------------------------------------------------------------- materials

BSDF_INPUTS = {"ior": "IOR", "base_color": "Base Color"}


def make_material(key, spec, pointer):
    m = bpy.data.materials.new(JOB_PREFIX + key)
    m.use_nodes = True
    bsdf = m.node_tree.nodes["Principled BSDF"]
    for name, value in sorted(spec.get("principled_bsdf", {}).items()):
        socket = bsdf.inputs.get(BSDF_INPUTS.get(name, name.replace("_", " ").title()))
        if socket is None:
            raise JobError("invalid_input", "%s/principled_bsdf/%s" % (pointer, name),
                           "Principled BSDF has no input \"%s\"" % name)
        if isinstance(value, list):
            value = list(value) + [1.0] * (len(socket.default_value) - len(value))
        socket.default_value = value
    return m


def apply_materials(model, job):
    override = job.get("material_override")
    mapping = job.get("materials") or {}
    parts = mapping.get("parts", {})
    made = {}

    def material(key, spec, pointer):
        if key not in made:
            made[key] = make_material(key, spec, pointer)
        return made[key]

    for o in model.parts:
        chosen = None
        if override:
            chosen = material(override["key"], override, "/params/material_override")
        else:
            entry = parts.get(o["prodflow_path"])
            if entry:
                key = entry["material"]
                spec = mapping.get("materials", {}).get(key)
                if spec is None:
                    raise JobError("invalid_input", "/inputs/material_map/materials",
                                   "the material map names \"%s\" but does not define it" % key)
                chosen = material(key, spec, "/inputs/material_map/materials/" + key)
        # Object-level slots: instances of one mesh may wear different materials.
        for i, slot in enumerate(o.material_slots):
            slot.link = "OBJECT"
            slot.material = chosen or model.original[o.name][i]


# ---------------------------------------------------------------- scene

def scene():
    s = bpy.data.scenes.get(SCENE)
    if s is None:
        s = bpy.context.scene
        s.name = SCENE
    return s


def reset_scene(s):
    """Removes what the previous job built; the cached models stay."""
    pools = {"CAMERA": bpy.data.cameras, "LIGHT": bpy.data.lights, "MESH": bpy.data.meshes}
    for o in list(s.collection.objects):
        data, pool = o.data, pools.get(o.type)
        bpy.data.objects.remove(o)
        if pool is not None and data.users == 0:
            pool.remove(data)
    for c in list(s.collection.children):
        s.collection.children.unlink(c)
    for m in [m for m in bpy.data.materials if m.name.startswith(JOB_PREFIX)]:
        bpy.data.materials.remove(m)
    for w in [w for w in bpy.data.worlds if w.name.startswith(JOB_PREFIX)]:
        bpy.data.worlds.remove(w)


def bbox_of(job):
    b = job["bbox"]
    scale = 0.001 if b.get("units") == "mm" else 1.0
    lo = Vector(b["min"]) * scale
    hi = Vector(b["max"]) * scale
    return lo, hi


def direction(azimuth_deg, elevation_deg):
    a, e = math.radians(azimuth_deg), math.radians(elevation_deg)
    return Vector((math.sin(a) * math.cos(e), -math.cos(a) * math.cos(e), math.sin(e)))


def aim(obj, target):
    obj.rotation_euler = (target - obj.location).to_track_quat("-Z", "Y").to_euler()


def fit_distance(cam_data, width, height, radius, margin):
    """Distance at which a sphere of this radius fills the frame less the margin."""
    fov = 2 * math.atan(cam_data.sensor_width / (2 * cam_data.lens))
    aspect = min(width, height) / max(width, height)
    narrow = 2 * math.atan(math.tan(fov / 2) * aspect)
    return radius * (1 + 2 * margin) / math.sin(narrow / 2)


def add_object(s, name, data):
    o = bpy.data.objects.new(name, data)
    s.collection.objects.link(o)
    return o


def flat_material(name, colour):
    m = bpy.data.materials.new(JOB_PREFIX + name)
    m.use_nodes = True
    bsdf = m.node_tree.nodes["Principled BSDF"]
    bsdf.inputs["Base Color"].default_value = list(colour) + [1.0]
    bsdf.inputs["Roughness"].default_value = 0.9
    bsdf.inputs["Specular"].default_value = 0.1
    return m


def cyclorama_mesh(name, width, depth, height, bend):
    """A floor that curves up into a back wall, seen from -Y."""
    verts, faces, profile = [], [], []
    profile.append((-depth, 0.0))
    for i in range(25):  # fine enough that the smooth-shaded curve shows no facets
        t = math.pi / 2 * i / 24
        profile.append((bend * math.sin(t), bend * (1 - math.cos(t))))
    profile.append((bend, height))
    for x in (-width / 2, width / 2):
        for y, z in profile:
            verts.append((x, y, z))
    n = len(profile)
    for i in range(n - 1):
        faces.append((i, i + 1, n + i + 1, n + i))
    mesh = bpy.data.meshes.new(JOB_PREFIX + name)
    mesh.from_pydata(verts, [], faces)
    for p in mesh.polygons:
        p.use_smooth = True
    return mesh


def sweep_size(cam, cam_data, width_px, height_px, origin, azimuth, bend, radius):
    """Width, floor depth and wall height of a cyclorama that fills the whole
    frame: each corner ray of the camera's view, followed in the backdrop's
    own frame (-Y towards the camera, Z up from the floor), meets the wall
    plane inside the sweep, with the product's radius to spare. The turntable
    turns the product, not the camera, so what holds for one frame holds for
    all of them."""
    tan_half = cam_data.sensor_width / (2 * cam_data.lens)  # sensor fit AUTO: the long side
    aspect = height_px / width_px
    tx, ty = (tan_half, tan_half * aspect) if aspect <= 1 else (tan_half / aspect, tan_half)
    to_local = Matrix.Rotation(-azimuth, 3, "Z")
    turn = cam.rotation_euler.to_matrix()
    eye = to_local @ (cam.location - origin)
    half_width, height = radius * 3, radius * 3
    for sx in (-1, 1):
        for sy in (-1, 1):
            ray = to_local @ (turn @ Vector((sx * tx, sy * ty, -1.0)))
            if ray.y <= 1e-6:
                continue  # a ray that never reaches the wall stays over the floor
            t = (bend - eye.y) / ray.y
            half_width = max(half_width, abs(eye.x + t * ray.x) + radius)
            height = max(height, eye.z + t * ray.z + radius)
    depth = max(-eye.y, 0.0) + radius * 2  # the floor runs on under the camera
    return half_width * 2, depth, height


LIGHT_PRESETS = {
    # (azimuth offset from the camera, elevation, relative power, size factor)
    "three_point": [("key", 45, 35, 1.0, 0.6), ("fill", -60, 15, 0.35, 1.0), ("rim", 170, 50, 0.7, 0.4)],
    "softbox": [("softbox", 0, 65, 1.2, 2.5), ("bounce", 180, 20, 0.2, 2.0)],
}


def build_studio(s, job, model):
    t = job["template"]
    p = job["params"]
    lo, hi = bbox_of(job)
    centre = (lo + hi) / 2
    radius = max((hi - lo).length / 2, 1e-4)
    cam_t = t["camera"]
    elevation = p.get("elevation_deg", cam_t["elevation_deg"])

    cam_data = bpy.data.cameras.new(JOB_PREFIX + "camera")
    cam_data.lens = cam_t["lens_mm"]
    cam_data.sensor_fit = "AUTO"
    distance = max(cam_t["distance_factor"] * radius * 2,
                   fit_distance(cam_data, p["width"], p["height"], radius, cam_t["margin"]))
    cam_data.clip_start = max(distance - radius * 4, distance * 0.01)
    cam_data.clip_end = distance + radius * 40
    cam = add_object(s, "Camera", cam_data)
    cam.location = centre + direction(cam_t["azimuth_deg"], elevation) * distance
    aim(cam, centre)
    s.camera = cam

    lights = t["lights"]
    intensity = lights.get("intensity", 1.0)
    colour = lights.get("colour", [1.0, 1.0, 1.0])
    for name, az, el, power, size in LIGHT_PRESETS[lights["preset"]]:
        data = bpy.data.lights.new(JOB_PREFIX + name, "AREA")
        reach = distance * 1.2
        data.shape = "DISK"
        data.size = size * reach
        # Power grows with the square of the distance, so exposure does not
        # depend on the product's size.
        data.energy = 60.0 * power * intensity * reach * reach
        data.color = colour
        light = add_object(s, "Light_" + name, data)
        light.location = centre + direction(cam_t["azimuth_deg"] + az, el) * reach
        aim(light, centre)

    backdrop = t["backdrop"]
    floor_z = lo.z
    kind = backdrop["type"]
    if kind == "floor" and job["op"] == "turntable":
        # A floor's far edge is a horizon behind the turning product; a
        # turntable always gets the seamless sweep.
        kind = "cyclorama"
    if kind in ("cyclorama", "floor") and not p.get("transparent"):
        azimuth = math.radians(cam_t["azimuth_deg"])
        # The bend starts behind the product's bounding sphere, away from the
        # camera, so the product never stands on the curve at any angle.
        origin = Vector((centre.x, centre.y, floor_z)) + direction(cam_t["azimuth_deg"], 0) * (-radius * 1.5)
        bend = radius * 2
        if kind == "cyclorama":
            width, depth, height = sweep_size(cam, cam_data, p["width"], p["height"], origin, azimuth, bend, radius)
            mesh = cyclorama_mesh("backdrop", width, depth, height, bend)
        else:
            mesh = bpy.data.meshes.new(JOB_PREFIX + "backdrop")
            h = radius * 6
            mesh.from_pydata([(-h, -h, 0), (h, -h, 0), (h, h, 0), (-h, h, 0)], [], [(0, 1, 2, 3)])
        mesh.materials.append(flat_material("backdrop", backdrop.get("colour", [0.8, 0.8, 0.8])))
        back = add_object(s, "Backdrop", mesh)
        back.location = origin
        back.rotation_euler = (0, 0, azimuth)
    if t.get("floor_shadow_catcher"):
        mesh = bpy.data.meshes.new(JOB_PREFIX + "shadow_catcher")
        h = radius * 8
        mesh.from_pydata([(-h, -h, 0), (h, -h, 0), (h, h, 0), (-h, h, 0)], [], [(0, 1, 2, 3)])
        catcher = add_object(s, "ShadowCatcher", mesh)
        catcher.location = (centre.x, centre.y, floor_z - radius * 1e-3)
        catcher.is_shadow_catcher = True

    world = bpy.data.worlds.new(JOB_PREFIX + "world")
    world.use_nodes = True
    bg = world.node_tree.nodes["Background"]
    w = t.get("world", {})
    bg.inputs["Color"].default_value = list(w.get("colour", [0.05, 0.05, 0.05])) + [1.0]
    bg.inputs["Strength"].default_value = w.get("strength", 1.0)
    s.world = world
    s.view_settings.view_transform = t.get("view_transform", "Filmic")
    s.view_settings.look = "None"
    s.view_settings.exposure = t.get("exposure", 0.0)
    return place_model(s, model, centre)


def place_model(s, model, centre):
    """Shows the model through a collection instance that turns about the
    box centre; the cached objects themselves never move."""
    model.collection.instance_offset = centre
    holder = add_object(s, "Product", None)
    holder.instance_type = "COLLECTION"
    holder.instance_collection = model.collection
    holder.location = centre
    return holder


def build_blend_scene(job, cache):
    """A user .blend: open it (autoexec stays off), put the product into the
    marked collection and frame the marked camera."""
    t = job["template"]
    cache.clear()
    try:
        bpy.ops.wm.open_mainfile(filepath=t["blend_path"], load_ui=False, use_scripts=False)
    except Exception as e:
        # Named by its key: the path is the server's own business.
        raise JobError("invalid_input", "/inputs/template", "cannot open the template scene %s: %s" % (t.get("blend"), e))
    # Autoexec is off, so nothing in the file has run; removing its Python
    # now keeps it out of every render and of a saved production file.
    prodflow_python.strip()
    s = bpy.context.scene
    s.name = SCENE
    coll = bpy.data.collections.get(t["collection"])
    if coll is None:
        raise JobError("invalid_input", "/inputs/template/collection",
                       "the template scene has no collection \"%s\"" % t["collection"])
    cam = bpy.data.objects.get(t["camera_object"]) if t.get("camera_object") else s.camera
    if cam is None or cam.type != "CAMERA":
        raise JobError("invalid_input", "/inputs/template/camera_object", "the template scene has no camera \"%s\"" % t.get("camera_object", "(scene camera)"))
    s.camera = cam
    model = cache.get(job)
    apply_materials(model, job)
    lo, hi = bbox_of(job)
    centre = (lo + hi) / 2
    holder = bpy.data.objects.new(JOB_PREFIX + "Product", None)
    coll.objects.link(holder)
    holder.instance_type = "COLLECTION"
    holder.instance_collection = model.collection
    model.collection.instance_offset = Vector((centre.x, centre.y, lo.z))
    anchor = bpy.data.objects.get(t.get("anchor") or "")
    holder.location = anchor.location if anchor else Vector((0, 0, 0))
    if t.get("frame_camera", True):
        radius = max((hi - lo).length / 2, 1e-4)
        target = holder.location + Vector((0, 0, (hi.z - lo.z) / 2))
        forward = cam.matrix_world.to_quaternion() @ Vector((0, 0, -1))
        p = job["params"]
        cam.location = target - forward * fit_distance(cam.data, p["width"], p["height"], radius, 0.1)
    return s, model, holder


# ---------------------------------------------------------------- render

def configure(s, job, still_format):
    p = job["params"]
    r = s.render
    r.engine = "CYCLES"
    s.cycles.device = "CPU"
    sampling = job["template"].get("sampling", {})
    video = job["op"] == "turntable"
    # The job's own count, else the template's for this kind of output.
    s.cycles.samples = p.get("samples") or sampling.get("video_samples" if video else "samples", 32 if video else 64)
    # Adaptive sampling stops a pixel once its noise is under the threshold:
    # the flat backdrop stops early and the samples go to the product. It is
    # deterministic for a given seed, so warm and cold renders stay equal.
    threshold = sampling.get("video_noise_threshold" if video else "noise_threshold", 0)
    s.cycles.use_adaptive_sampling = threshold > 0
    s.cycles.adaptive_threshold = threshold
    s.cycles.adaptive_min_samples = 0  # Cycles' own choice from the threshold
    # Clamping bounds the rare bright indirect paths (fireflies) that a few
    # samples cannot average out; 0 means no clamp. The template gives it in
    # displayed brightness (1 is white), so it means the same whatever the
    # exposure. Blurring glossy bounces does the same for reflections of
    # small bright lights.
    to_scene = 2.0 ** -job["template"].get("exposure", 0.0)
    s.cycles.sample_clamp_direct = sampling.get("clamp_direct", 0) * to_scene
    s.cycles.sample_clamp_indirect = sampling.get("clamp_indirect", 0) * to_scene
    s.cycles.blur_glossy = sampling.get("filter_glossy", 0)
    s.cycles.use_denoising = False  # Debian's build has no OpenImageDenoise
    s.cycles.seed = p.get("seed", 0)
    s.cycles.use_animated_seed = False
    r.resolution_x = p["width"]
    r.resolution_y = p["height"]
    r.resolution_percentage = 100
    r.film_transparent = bool(p.get("transparent"))
    r.use_file_extension = False
    fmt = r.image_settings
    fmt.file_format = still_format
    fmt.color_mode = "RGBA" if p.get("transparent") else "RGB"
    if still_format == "PNG":
        fmt.color_depth = str(p.get("color_depth", "8"))
        fmt.compression = 15
    else:
        fmt.quality = 90
    s.frame_start = s.frame_end = s.frame_current = 1


def render_to(s, path, timing):
    s.render.filepath = path
    t = time.monotonic()
    try:
        bpy.ops.render.render(write_still=True, scene=s.name)
    except RuntimeError as e:
        raise JobError("render_failed", "", "Blender could not render: %s" % str(e).strip())
    # Cycles' share and the file writing's are in Blender's own output;
    # the worker reads them there (blender_worker.c).
    timing["render_s"] += time.monotonic() - t
    if not os.path.exists(path):
        raise JobError("render_failed", "", "Blender rendered but wrote no image at %s" % path)


def eased(t, easing):
    return (1 - math.cos(math.pi * t)) / 2 if easing == "ease_in_out" else t


def run_job(job, cache, timing):
    """The job's outputs. timing gets the phases' seconds: import (absent
    when the model was cached), load and store (the model from and to the
    disk cache, when they happened), setup (everything else up to the
    render) and render (Blender's render calls, writing the files
    included)."""
    op = job["op"]
    out = job["output"]
    p = job["params"]
    started = time.monotonic()
    if job["template"].get("kind") == "blend_scene":
        s, model, holder = build_blend_scene(job, cache)
        cache.dirty = True
    else:
        if cache.dirty:  # a previous job opened or saved a user .blend
            bpy.ops.wm.read_factory_settings()
            empty_file()
            cache.clear()
            cache.dirty = False
        s = scene()
        reset_scene(s)
        model = cache.get(job)
        apply_materials(model, job)
        holder = build_studio(s, job, model)
    model_s = cache.timing(timing)
    timing["render_s"] = 0.0
    emit("phase", phase="render")
    if op in ("still", "thumbnail"):
        fmt = "WEBP" if out["file"].endswith(".webp") else "PNG"
        configure(s, job, fmt)
        timing["setup_s"] = time.monotonic() - started - model_s
        path = os.path.join(out["dir"], out["file"])
        render_to(s, path, timing)
        return {"image": path}
    if op == "turntable":
        configure(s, job, "PNG")
        timing["setup_s"] = time.monotonic() - started - model_s
        frames = p["frames"]
        base = holder.rotation_euler.z
        paths = []
        for i in range(frames):
            holder.rotation_euler.z = base + 2 * math.pi * eased(i / frames, p.get("easing", "linear"))
            path = os.path.join(out["dir"], out["pattern"] % (i + 1))
            render_to(s, path, timing)
            paths.append(path)
            emit("frame", frame=i + 1, frames=frames, path=path)
        return {"frames": paths}
    if op == "blend":
        cache.dirty = True  # the saved state no longer matches the cache's assumptions
        return save_blend(s, job, model, holder)
    raise JobError("invalid_input", "/op", "unknown job op \"%s\"" % op)


def save_blend(s, job, model, holder):
    """A production file: the product's own objects linked into the scene
    (not an instance), with materials, camera, lights and packed textures."""
    p = job["params"]
    configure(s, job, "PNG")
    target = holder.users_collection[0]
    bpy.data.objects.remove(holder)
    target.children.link(model.collection)
    model.collection.use_fake_user = False
    model.collection.name = "Product"
    for o in list(s.collection.objects):
        if (o.type == "CAMERA" and not p.get("include_camera", True)) or \
           (o.type == "LIGHT" and not p.get("include_lights", True)):
            bpy.data.objects.remove(o)
    for name in [m.name for m in bpy.data.materials if m.name.startswith(JOB_PREFIX)]:
        bpy.data.materials[name].name = name[len(JOB_PREFIX):]
    for other in [x for x in bpy.data.scenes if x != s]:
        bpy.data.scenes.remove(other)
    if p.get("pack_textures", True):
        bpy.ops.file.pack_all()
    # A delivered file goes to other people's Blenders: it carries no Python,
    # whatever the template scene held.
    prodflow_python.strip()
    path = os.path.join(job["output"]["dir"], job["output"]["file"])
    bpy.ops.wm.save_as_mainfile(filepath=path, compress=bool(p.get("compress", True)), copy=True)
    return {"blend": path, "objects": sorted(o.name for o in model.collection.objects)}


def serve(stream, cache):
    for line in stream:
        line = line.strip()
        if not line:
            continue
        try:
            job = json.loads(line)
        except ValueError as e:
            emit("error", code="invalid_input", pointer="", message="the job is not JSON: %s" % e)
            continue
        timing = {}
        try:
            outputs = run_job(job, cache, timing)
            emit("done", outputs=outputs, timing=timing)
        except JobError as e:
            emit("error", code=e.code, pointer=e.pointer, message=e.message)
        except Exception as e:  # a bug here must not take the worker down silently
            traceback.print_exc()
            emit("error", code="internal", pointer="", message="%s: %s" % (type(e).__name__, e))


def empty_file():
    """The factory start-up file without its cube, camera and light. Cheaper
    than read_factory_settings(use_empty=True), which reloads everything."""
    for o in list(bpy.data.objects):
        bpy.data.objects.remove(o)
    for pool in (bpy.data.meshes, bpy.data.cameras, bpy.data.lights, bpy.data.materials, bpy.data.collections):
        for d in list(pool):
            pool.remove(d)


def leave():
    """Ends the process once its stdin is closed. Everything a job makes is
    written and closed before its "done" event, so Blender's own exit
    (freeing its data, Cycles' and Python's teardown) would only keep the
    parent waiting for the process, a cold still included. The session's
    temporary directory, which that exit removes, is removed here."""
    sys.stdout.flush()
    sys.stderr.flush()
    ctypes.CDLL(None).fflush(None)  # and what Blender's C code printed, which exit would flush
    # Only a directory of this session's own: when Blender cannot make one,
    # tempdir is the shared temporary directory itself.
    session = os.path.normpath(bpy.app.tempdir)
    if os.path.basename(session).startswith("blender_"):
        shutil.rmtree(session, ignore_errors=True)
    os._exit(0)


def main():
    argv = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else []
    models = int(argv[argv.index("--models") + 1]) if "--models" in argv else 4
    empty_file()
    cache = ModelCache(models)
    emit("ready", blender=bpy.app.version_string, pid=os.getpid())
    serve(sys.stdin, cache)
    leave()


main()
