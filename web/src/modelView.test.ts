import { describe, expect, it } from 'vitest';
import { fitDistance, isPartName, libraryLook, materialFor, partPath } from './modelView';

describe('3D viewer helpers', () => {
  it('tells names people gave from synthetic ones', () => {
    expect(isPartName('Bolt_M4')).toBe(true);
    expect(isPartName('Shaft Assy')).toBe(true);
    expect(isPartName('=>[0:1:1:4]')).toBe(false);
    expect(isPartName('')).toBe(false);
    expect(isPartName(undefined)).toBe(false);
    expect(isPartName('mesh_0')).toBe(false);
    expect(isPartName('12')).toBe(false);
  });
  it('builds the path from the hovered object up, dropping synthetic names', () => {
    expect(partPath(['Bolt_M4', '=>[0:1:1:4]', 'Gearbox', ''])).toBe('/Gearbox/Bolt_M4');
    expect(partPath(['', null])).toBe('');
  });
  it("finds the part's material by path, or by a unique name at the end", () => {
    const parts = { '/Gearbox/Bolt_M4_1': { material: 'steel' }, '/Gearbox/Housing': { material: 'alu' }, '/Gearbox/Shaft_Assy/Shaft': { material: 'steel' } };
    expect(materialFor('/Gearbox/Housing', parts)?.entry.material).toBe('alu');
    expect(materialFor('/Gearbox/Bolt_M4', parts)?.key).toBe('/Gearbox/Bolt_M4_1');
    expect(materialFor('/X/Shaft', parts)?.key).toBe('/Gearbox/Shaft_Assy/Shaft');
    expect(materialFor('/Gearbox/Nope', parts)).toBeUndefined();
    const bolts = { '/G/Bolt_1': { material: 'steel' }, '/G/Bolt_2': { material: 'steel' }, '/G/Nut_1': { material: 'a' }, '/H/Nut_2': { material: 'b' } };
    expect(materialFor('/G/Bolt', bolts)?.entry.material).toBe('steel');
    expect(materialFor('/G/Nut', bolts)).toBeUndefined();
    expect(materialFor('', parts)).toBeUndefined();
    expect(materialFor('/a', undefined)).toBeUndefined();
  });
  it('stands far enough to see the whole model, more so on a narrow view', () => {
    const wide = fitDistance(1, 45, 16 / 9);
    const narrow = fitDistance(1, 45, 0.5);
    expect(wide).toBeCloseTo(1.15 / Math.sin((22.5 * Math.PI) / 180), 5);
    expect(narrow).toBeGreaterThan(wide);
    expect(fitDistance(0, 45, 1)).toBeGreaterThan(0);
  });
});

describe('libraryLook', () => {
  it("takes a library material's Principled BSDF, clamped", () => {
    expect(libraryLook({ principled_bsdf: { base_color: [0.35, 0.36, 0.38], metallic: 0.2, roughness: 0.45 } })).toEqual({
      color: [0.35, 0.36, 0.38],
      metalness: 0.2,
      roughness: 0.45,
      opacity: 1,
    });
    expect(libraryLook({ principled_bsdf: { base_color: [2, -1, 0.5, 0.5], alpha: 0.5 } })).toEqual({ color: [1, 0, 0.5], metalness: 0, roughness: 0.5, opacity: 0.25 });
  });
  it('is undefined without a base colour', () => {
    expect(libraryLook({ principled_bsdf: { metallic: 1 } })).toBeUndefined();
    expect(libraryLook({})).toBeUndefined();
    expect(libraryLook(undefined)).toBeUndefined();
  });
});
