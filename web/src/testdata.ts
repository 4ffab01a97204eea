// Small registry fixtures for unit tests, shaped like the API's answers.
import type { NodeDefinition, Port, PortType } from './types';

export const portTypes: PortType[] = [
  { key: 'step_file' },
  { key: 'glb' },
  { key: 'image' },
  { key: 'bbox' },
  { key: 'asset_ref' },
  { key: 'artifact', accepts: ['glb', 'image'] },
];

const port = (name: string, type: string, required = true): Port => ({ name, type, required });

function def(step: string, inputs: Port[], outputs: Port[], extra: Partial<NodeDefinition> = {}): NodeDefinition {
  return {
    step,
    module_key: step,
    module_version: '1.0.0',
    family: ['cad_file'],
    input_contract: inputs,
    output_contract: outputs,
    param_schema: { type: 'object', properties: {} },
    side_effects: 'none',
    available: true,
    execution: 'inline',
    queue: 'default',
    ui: { label: step },
    ...extra,
  };
}

export const definitions: NodeDefinition[] = [
  def('cad.resolve', [], [port('step', 'step_file')], { entry: true }),
  def('cad.glb', [port('step', 'step_file')], [port('glb', 'glb')]),
  def('cad.bbox', [port('step', 'step_file')], [port('bbox', 'bbox')]),
  def('render.thumb', [port('glb', 'glb'), port('bbox', 'bbox', false)], [port('image', 'image')]),
  def('output.publish', [port('artifact', 'artifact')], [port('asset', 'asset_ref')]),
];

export const definition = (step: string) => definitions.find((d) => d.step === step);
