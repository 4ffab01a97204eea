// Pure helpers of the 3D viewer (no three.js here, so they are unit-tested
// and kept out of the main bundle's logic): part names and the camera fit.

/**
 * OCCT names unnamed instances "=>[0:1:1:4]"; glTF exporters add
 * "_primitive0"-like suffixes or leave names empty. None of those is a name
 * people gave the part.
 */
export function isPartName(name: string | undefined | null): name is string {
  if (!name) return false;
  const n = name.trim();
  if (!n) return false;
  if (/^=>\[[\d:]+\]$/.test(n)) return false;
  if (/^(mesh|node|object|primitive)?[_\s]*\d*$/i.test(n)) return false;
  return true;
}

/** The glTF loader makes names unique by adding "_1", "_2"…; node names from OCCT may carry spaces as "_". */
const clean = (s: string) => s.trim();

/**
 * A part's path from the names of a hovered object and its ancestors
 * (nearest first), root-most first: ["Bolt_M4", "Gearbox"] → "/Gearbox/Bolt_M4".
 * Synthetic names are dropped.
 */
export function partPath(namesNearestFirst: readonly (string | undefined | null)[]): string {
  const named = namesNearestFirst.filter(isPartName).map(clean);
  return named.length ? `/${named.reverse().join('/')}` : '';
}

/**
 * The material-map entry for a hovered part: by its exact path, else the one
 * paths ending in the same name (the map keys instances "/Gearbox/Bolt_M4_1"
 * where the GLB says "Bolt_M4") when they all say the same, else undefined.
 */
export function materialFor<T>(path: string, parts: Readonly<Record<string, T>> | undefined): { key: string; entry: T } | undefined {
  if (!parts || !path) return undefined;
  if (path in parts) return { key: path, entry: parts[path] };
  const last = path.split('/').pop()!;
  const hits = Object.keys(parts).filter((k) => {
    const tail = k.split('/').pop()!;
    return tail === last || tail.replace(/_\d+$/, '') === last;
  });
  // Several instances ("Bolt_M4_1", "Bolt_M4_2"…) with one entry between them say the same.
  const same = hits.every((k) => JSON.stringify(parts[k]) === JSON.stringify(parts[hits[0]]));
  return hits.length && same ? { key: hits[0], entry: parts[hits[0]] } : undefined;
}

/**
 * Where a perspective camera stands to see a sphere of this radius whole:
 * its distance from the centre, for a vertical field of view in degrees and
 * an aspect ratio (width / height), with a margin.
 */
export function fitDistance(radius: number, fovDeg: number, aspect: number, margin = 1.15): number {
  const r = radius > 0 && Number.isFinite(radius) ? radius : 1;
  const v = (fovDeg * Math.PI) / 180;
  const h = 2 * Math.atan(Math.tan(v / 2) * (aspect > 0 ? aspect : 1));
  return (r * margin) / Math.sin(Math.min(v, h) / 2);
}

/** How a material of a material library looks in the 3D view (its Principled BSDF, linear RGB). */
export interface Look {
  color: [number, number, number];
  metalness: number;
  roughness: number;
  opacity: number;
}

const unit = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : d);

/** The look of a library material (`principled_bsdf`), or undefined when it has no base colour. */
export function libraryLook(material: { principled_bsdf?: Record<string, unknown> } | undefined): Look | undefined {
  const b = material?.principled_bsdf;
  const c = b?.base_color;
  if (!Array.isArray(c) || c.length < 3 || !c.slice(0, 3).every((x) => typeof x === 'number')) return undefined;
  const alpha = unit(b?.alpha, 1);
  return {
    color: [unit(c[0], 0), unit(c[1], 0), unit(c[2], 0)],
    metalness: unit(b?.metallic, 0),
    roughness: unit(b?.roughness, 0.5),
    opacity: alpha * (c.length > 3 ? unit(c[3], 1) : 1),
  };
}
