import { describe, expect, it } from 'vitest';
import { OPEN, panelClasses, readPanels, writePanels } from './panels';

describe('readPanels', () => {
  it('reads back what was written', () => {
    for (const p of [OPEN, { left: true, right: false }, { left: false, right: true }, { left: true, right: true }]) expect(readPanels(writePanels(p))).toEqual(p);
  });
  it('opens both on nothing stored or anything unreadable', () => {
    for (const s of [null, '', 'not json', '42', 'null', '[true]', '{"left":"yes"}']) expect(readPanels(s), String(s)).toEqual(OPEN);
  });
});

describe('panelClasses', () => {
  it('names each folded panel', () => {
    expect(panelClasses(OPEN)).toBe('');
    expect(panelClasses({ left: true, right: true })).toBe('left-collapsed right-collapsed');
  });
});
