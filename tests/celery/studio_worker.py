"""A studio's own Celery worker for test_external_module.c: the body of the
external module studio.watermark, as an operator would write it. It gets
Prodflow's task kwargs {run, node, attempt, module_version, context, inputs,
params}, fetches its input GLB by digest from the server's artifact store
(PF_SERVER, with the worker token in PF_TOKEN), writes a copyright into the
glTF asset, uploads the result under its digest and names it in
{"outputs": ...}. params.mode makes it misbehave on purpose: "fail" raises,
"forget" returns no GLB, "extra" returns a port the contract lacks."""
import hashlib
import json
import os
import struct
import urllib.request

from celery import Celery

app = Celery("studio", broker=os.environ["PF_BROKER"], backend=os.environ["PF_BROKER"])
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])


def artifact_url(digest):
    return "%s/api/artifacts/sha256/%s" % (os.environ["PF_SERVER"], digest)


def request(method, digest, body=None):
    req = urllib.request.Request(artifact_url(digest), data=body, method=method)
    req.add_header("Authorization", "Bearer " + os.environ["PF_TOKEN"])
    if body is not None:
        req.add_header("Content-Type", "application/octet-stream")
    with urllib.request.urlopen(req) as reply:
        return reply.read()


def stamp(glb, text):
    """The same GLB with asset.copyright set (glTF 2.0 binary layout)."""
    magic, version, _ = struct.unpack_from("<4sII", glb, 0)
    if magic != b"glTF":
        raise ValueError("the input is not a GLB")
    json_len, json_type = struct.unpack_from("<I4s", glb, 12)
    if json_type != b"JSON":
        raise ValueError("the GLB's first chunk is not JSON")
    doc = json.loads(glb[20:20 + json_len])
    doc.setdefault("asset", {})["copyright"] = text
    chunk = json.dumps(doc, separators=(",", ":")).encode()
    chunk += b" " * (-len(chunk) % 4)
    rest = glb[20 + json_len:]
    body = struct.pack("<I4s", len(chunk), b"JSON") + chunk + rest
    return struct.pack("<4sII", b"glTF", version, 12 + len(body)) + body


@app.task(name="studio.tasks.watermark")
def watermark(run=None, node=None, attempt=1, module_version=None, context=None, inputs=None, params=None):
    params = params or {}
    mode = params.get("mode", "stamp")
    if mode == "fail":
        raise RuntimeError("the watermark service is out of ink")
    if mode == "forget":
        return {"outputs": {}}
    glb = request("GET", inputs["glb"]["sha256"])
    out = stamp(glb, params.get("text", "(c) Studio"))
    digest = hashlib.sha256(out).hexdigest()
    request("PUT", digest, out)
    outputs = {"glb": {"sha256": digest, "size": len(out), "media_type": "model/gltf-binary"}}
    if mode == "extra":
        outputs["secret"] = {"value": 1}
    return {"outputs": outputs, "worker": "studio@test"}
