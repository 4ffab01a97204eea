import { createContext } from 'react';
import type { NodeDefinition, PortType } from './types';
import type { ProblemIndex } from './problems';
import type { FlowEdge } from './workflow';

export interface EditorContextValue {
  family: string;
  /** The family's definition of a step, else the registry's (foreign steps), else undefined. */
  definition: (step: string) => NodeDefinition | undefined;
  familySteps: ReadonlySet<string>;
  entryStep?: string;
  portTypes: ReadonlyMap<string, PortType>;
  problems: ProblemIndex;
  edges: readonly FlowEdge[];
  readOnly: boolean;
}

export const EditorContext = createContext<EditorContextValue | null>(null);
