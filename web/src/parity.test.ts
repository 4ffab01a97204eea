import { describe, expect, it } from 'vitest';
import { artifactVerdictText } from './components/ParityPanel';
import { parityLineText } from './components/ParityLine';
import type { ParityHistory } from './types';

const history = (over: Partial<ParityHistory>): ParityHistory => ({
  output_type: 'still',
  shadow_runs: 0,
  complete: 0,
  identical: 0,
  different: 0,
  pending: 0,
  streak: 0,
  ready_after: 5,
  ready: false,
  rule: 'ready when …',
  runs: [],
  ...over,
});

describe('parityLineText', () => {
  it.each([
    [history({}), 'Parity: no shadow runs yet'],
    [history({ shadow_runs: 1, pending: 1 }), 'Parity: waiting for the first shadow run (1 running)'],
    [history({ shadow_runs: 5, complete: 5, identical: 5, streak: 5, ready: true }), 'Parity: 5 of 5 identical — ready to switch'],
    [history({ shadow_runs: 4, complete: 4, identical: 3, different: 1, streak: 2 }), 'Parity: 3 of 4 identical — 3 more identical in a row to switch'],
  ])('%#', (h, text) => expect(parityLineText(h)).toBe(text));
});

describe('artifactVerdictText', () => {
  it('says how each kind was judged', () => {
    expect(artifactVerdictText({ role: 'r', comparison: 'pixels', verdict: 'identical', size: { legacy: [96, 72], graph: [96, 72] } })).toBe('Pixel-identical at 96×72.');
    expect(artifactVerdictText({ role: 'r', comparison: 'pixels', verdict: 'different', differing_pixels: 12, psnr_db: 31.5, ssim: 0.91 })).toBe(
      'different: 12 pixels differ, PSNR 31.5 dB, SSIM 0.91.',
    );
    expect(artifactVerdictText({ role: 'r', comparison: 'frames', verdict: 'identical', differing_frames: 0, frames: { legacy: 3, graph: 3 } })).toBe(
      'identical, frame by frame: 0 of 3 frames differ.',
    );
    expect(artifactVerdictText({ role: 'r', comparison: 'blend_digest', verdict: 'different', differences: [{ pointer: '/scenes/0/frame_range/1' }] })).toBe(
      "different by Blender's digest of the scene: /scenes/0/frame_range/1.",
    );
    expect(artifactVerdictText({ role: 'r', verdict: 'not compared', error: 'ffmpeg is not installed' })).toBe('Not compared: ffmpeg is not installed');
  });
});
