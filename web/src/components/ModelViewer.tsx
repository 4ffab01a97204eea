// The product's GLB in an interactive 3D view: drag to orbit, wheel or pinch
// to zoom, right-drag to pan, Reset to go back; a part's name (and its
// material from the material map) shows on hover. Parts are coloured by the
// material map (the library's base colours, as the renders use them) or by
// the CAD file's own colours. three.js, bundled, in its own chunk:
// ProductPage loads this file lazily. Renders on demand only.
import { useEffect, useRef, useState } from 'react';
import {
  Box3,
  Color,
  DirectionalLight,
  DoubleSide,
  HemisphereLight,
  LinearSRGBColorSpace,
  Mesh,
  MeshStandardMaterial,
  PerspectiveCamera,
  PMREMGenerator,
  Raycaster,
  Scene,
  SRGBColorSpace,
  Vector2,
  Vector3,
  WebGLRenderer,
  type Material,
  type Object3D,
} from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { RoomEnvironment } from 'three/examples/jsm/environments/RoomEnvironment.js';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { materialLibrariesApi } from '../api';
import { fitDistance, libraryLook, materialFor, partPath, type Look } from '../modelView';

export interface ModelViewerProps {
  url: string;
  title: string;
  /** the intake's material map parts (path → material), for the hover label */
  parts?: Record<string, { material?: string; rule?: string }>;
  /** the material library the map names materials of */
  library?: string;
}

type Colours = 'map' | 'cad';

interface Loaded {
  meshes: { mesh: Mesh; original: Material | Material[]; path: string }[];
  invalidate: () => void;
  unlight: () => void;
}

/** Names of a mesh and its ancestors up to (not including) the model root, nearest first. */
function namesUp(mesh: Object3D, root: Object3D): string[] {
  const names: string[] = [];
  for (let o: Object3D | null = mesh; o && o !== root; o = o.parent) names.push(o.name);
  return names;
}

type State = { phase: 'loading' | 'ready' | 'error'; message?: string };
interface Hover {
  path: string;
  material?: string;
  x: number;
  y: number;
}

export default function ModelViewer({ url, title, parts, library }: ModelViewerProps) {
  const host = useRef<HTMLDivElement>(null);
  const resetRef = useRef<() => void>(() => undefined);
  const partsRef = useRef(parts);
  partsRef.current = parts;
  const [state, setState] = useState<State>({ phase: 'loading' });
  const [hover, setHover] = useState<Hover | null>(null);
  const [colours, setColours] = useState<Colours>('map');
  const [looks, setLooks] = useState<Map<string, { look: Look; label?: string }> | null>(null);
  const loaded = useRef<Loaded | null>(null);
  const looksRef = useRef(looks);
  looksRef.current = looks;

  // The library's materials, for the material-map colours and the hover label.
  useEffect(() => {
    if (!library || !parts) return;
    let gone = false;
    materialLibrariesApi.get(library).then(
      (doc) => {
        if (gone) return;
        const list = Array.isArray(doc.materials) ? (doc.materials as { key?: string; label?: string; principled_bsdf?: Record<string, unknown> }[]) : [];
        const m = new Map<string, { look: Look; label?: string }>();
        for (const x of list) {
          const look = libraryLook(x);
          if (x.key && look) m.set(x.key, { look, label: x.label });
        }
        setLooks(m);
      },
      () => !gone && setLooks(new Map()),
    );
    return () => {
      gone = true;
    };
  }, [library, parts]);

  useEffect(() => {
    const el = host.current!;
    let renderer: WebGLRenderer;
    try {
      renderer = new WebGLRenderer({ antialias: true, alpha: true });
    } catch (e) {
      setState({ phase: 'error', message: `This browser cannot show 3D (WebGL): ${(e as Error).message}` });
      return;
    }
    renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    renderer.outputColorSpace = SRGBColorSpace;
    renderer.domElement.className = 'model-canvas';
    renderer.domElement.setAttribute('data-testid', 'model-canvas');
    el.prepend(renderer.domElement);

    const scene = new Scene();
    const pmrem = new PMREMGenerator(renderer);
    const room = new RoomEnvironment();
    scene.environment = pmrem.fromScene(room, 0.04).texture;
    room.dispose?.();
    scene.add(new HemisphereLight(0xffffff, 0x8a8f98, 0.8));
    const key = new DirectionalLight(0xffffff, 1.4);
    scene.add(key);
    const camera = new PerspectiveCamera(40, 1, 0.001, 1000);
    camera.add(key);
    key.position.set(1, 2, 3);
    scene.add(camera);
    const controls = new OrbitControls(camera, renderer.domElement);
    controls.enableDamping = false;

    let frame = 0;
    const render = () => {
      frame = 0;
      renderer.render(scene, camera);
    };
    const invalidate = () => {
      if (!frame) frame = requestAnimationFrame(render);
    };
    controls.addEventListener('change', invalidate);

    const size = () => {
      const w = Math.max(el.clientWidth, 1);
      const h = Math.max(el.clientHeight, 1);
      renderer.setSize(w, h, false);
      camera.aspect = w / h;
      camera.updateProjectionMatrix();
      invalidate();
    };
    const ro = new ResizeObserver(size);
    ro.observe(el);
    size();

    let model: Object3D | null = null;
    let home = { position: new Vector3(0, 0, 1), target: new Vector3() };
    const fit = () => {
      if (!model) return;
      const box = new Box3().setFromObject(model);
      const centre = box.getCenter(new Vector3());
      const radius = box.getSize(new Vector3()).length() / 2;
      const d = fitDistance(radius, camera.fov, camera.aspect);
      // a three-quarter view from the front, a little above
      const dir = new Vector3(1, 0.7, 1.4).normalize();
      home = { position: centre.clone().addScaledVector(dir, d), target: centre };
      camera.near = Math.max(d / 1000, 1e-5);
      camera.far = d * 100;
      camera.updateProjectionMatrix();
      controls.minDistance = radius * 0.05;
      controls.maxDistance = d * 20;
    };
    const reset = () => {
      camera.position.copy(home.position);
      controls.target.copy(home.target);
      controls.update();
      invalidate();
    };
    resetRef.current = reset;

    let gone = false;
    new GLTFLoader().load(
      url,
      (gltf) => {
        if (gone) return;
        model = gltf.scene;
        scene.add(model);
        const meshes: Loaded['meshes'] = [];
        model.traverse((o) => {
          const m = o as Mesh;
          if (m.isMesh) meshes.push({ mesh: m, original: m.material, path: partPath(namesUp(m, model!)) });
        });
        loaded.current = { meshes, invalidate, unlight };
        fit();
        reset();
        setState({ phase: 'ready' });
      },
      undefined,
      (e) => !gone && setState({ phase: 'error', message: `The model did not load: ${(e as Error)?.message ?? e}` }),
    );

    // Hover: the part under the pointer, highlighted, with its name.
    const ray = new Raycaster();
    const ndc = new Vector2();
    let lit: { mesh: Mesh; material: Material | Material[] } | null = null;
    const unlight = () => {
      if (lit) lit.mesh.material = lit.material;
      lit = null;
    };
    const onMove = (ev: PointerEvent) => {
      if (!model || ev.buttons) return;
      const r = renderer.domElement.getBoundingClientRect();
      ndc.set(((ev.clientX - r.left) / r.width) * 2 - 1, -((ev.clientY - r.top) / r.height) * 2 + 1);
      ray.setFromCamera(ndc, camera);
      const hit = ray.intersectObject(model, true).find((h) => (h.object as Mesh).isMesh);
      const mesh = hit?.object as Mesh | undefined;
      if (mesh !== lit?.mesh) {
        unlight();
        if (mesh) {
          const base = Array.isArray(mesh.material) ? mesh.material[0] : mesh.material;
          const glow = (base as MeshStandardMaterial).clone?.() ?? new MeshStandardMaterial();
          if ((glow as MeshStandardMaterial).emissive) (glow as MeshStandardMaterial).emissive = new Color(0x2f6fdf).multiplyScalar(0.45);
          lit = { mesh, material: mesh.material };
          mesh.material = glow;
        }
        invalidate();
      }
      if (!mesh) return setHover(null);
      const path = partPath(namesUp(mesh, model));
      const m = materialFor(path, partsRef.current);
      const key = m?.entry.material;
      setHover({ path: path || '(unnamed part)', material: key ? (looksRef.current?.get(key)?.label ?? key) : undefined, x: ev.clientX - r.left, y: ev.clientY - r.top });
    };
    const onLeave = () => {
      unlight();
      invalidate();
      setHover(null);
    };
    renderer.domElement.addEventListener('pointermove', onMove);
    renderer.domElement.addEventListener('pointerleave', onLeave);

    return () => {
      gone = true;
      loaded.current = null;
      if (frame) cancelAnimationFrame(frame);
      ro.disconnect();
      controls.dispose();
      renderer.domElement.removeEventListener('pointermove', onMove);
      renderer.domElement.removeEventListener('pointerleave', onLeave);
      scene.traverse((o) => {
        const m = o as Mesh;
        if (m.isMesh) {
          m.geometry.dispose();
          (Array.isArray(m.material) ? m.material : [m.material]).forEach((x) => x.dispose());
        }
      });
      scene.environment?.dispose();
      pmrem.dispose();
      renderer.dispose();
      renderer.domElement.remove();
    };
  }, [url]);

  // Colour the parts: by the material map (each part's library material) or
  // by the CAD file's own colours (the GLB's materials).
  useEffect(() => {
    const l = loaded.current;
    if (!l || state.phase !== 'ready') return;
    l.unlight();
    const made = new Map<string, MeshStandardMaterial>();
    for (const { mesh, original, path } of l.meshes) {
      const key = colours === 'map' ? materialFor(path, partsRef.current)?.entry.material : undefined;
      const look = key ? looks?.get(key)?.look : undefined;
      if (!key || !look) {
        mesh.material = original;
        continue;
      }
      let mat = made.get(key);
      if (!mat) {
        mat = new MeshStandardMaterial({
          color: new Color().setRGB(look.color[0], look.color[1], look.color[2], LinearSRGBColorSpace),
          metalness: look.metalness,
          roughness: look.roughness,
          transparent: look.opacity < 1,
          opacity: look.opacity,
          side: DoubleSide,
        });
        made.set(key, mat);
      }
      mesh.material = mat;
    }
    l.invalidate();
    return () => made.forEach((m) => m.dispose());
  }, [colours, looks, state.phase]);

  return (
    <div className="model-viewer" data-testid="model-viewer" data-state={state.phase} data-part={hover?.path ?? ''} data-colours={colours}>
      <div className="model-stage" ref={host} aria-label={`3D view of ${title}: drag to orbit, scroll to zoom, right-drag to pan`} role="img">
        {hover && (
          <div className="model-hover" style={{ left: hover.x + 12, top: hover.y + 12 }} data-testid="model-hover">
            <span className="strong">{hover.path.split('/').pop()}</span>
            {hover.material && <span className="muted"> · {hover.material}</span>}
            <div className="mono small muted">{hover.path}</div>
          </div>
        )}
        {state.phase === 'ready' && <div className="model-hint small">Drag to orbit · scroll to zoom · right-drag to pan</div>}
        {state.phase === 'loading' && <div className="model-overlay muted small">Loading the 3D model…</div>}
        {state.phase === 'error' && (
          <div className="model-overlay notice notice-error small" data-testid="model-error">
            {state.message}
          </div>
        )}
      </div>
      <div className="model-toolbar">
        {parts && library && (
          <div className="segmented small" role="group" aria-label="Colours">
            <button type="button" className={colours === 'map' ? 'active' : ''} aria-pressed={colours === 'map'} onClick={() => setColours('map')} data-testid="model-colours-map" title="Each part in its material from the material map">
              Materials
            </button>
            <button type="button" className={colours === 'cad' ? 'active' : ''} aria-pressed={colours === 'cad'} onClick={() => setColours('cad')} data-testid="model-colours-cad" title="The colours in the CAD file">
              CAD colours
            </button>
          </div>
        )}
        <button type="button" onClick={() => resetRef.current()} disabled={state.phase !== 'ready'} data-testid="model-reset">
          Reset view
        </button>
      </div>
    </div>
  );
}
