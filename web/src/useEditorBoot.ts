// What the editor loads when it starts (the families with their vocabulary,
// every node definition, the API's Policy schema) and, once a workflow of a
// family is open, that family's node definitions in palette order.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api } from './api';
import type { Family, JSONSchema, NodeDefinition, Vocabulary } from './types';
import { useFetched } from './useFetched';

export interface Boot {
  families: Family[];
  vocabulary: Vocabulary;
  policySchema?: JSONSchema;
  allDefs: NodeDefinition[];
}

/** A module function, so useFetched keeps its identity and fetches once. */
async function fetchBoot(): Promise<Boot> {
  const [fam, defs, oas] = await Promise.all([api.families(), api.nodeDefinitions(), api.openapi().catch(() => null)]);
  return {
    families: fam.families,
    vocabulary: fam.vocabulary ?? { port_types: [], artifact_roles: [], artifact_kinds: [] },
    policySchema: oas?.components?.schemas?.Policy,
    allDefs: defs.node_definitions,
  };
}

/** A family's definitions, 'loading', or why they could not be loaded. */
export type FamilyDefs = Record<string, NodeDefinition[] | string>;

export interface EditorBoot {
  boot: Boot | null;
  bootError: string;
  familyDefs: FamilyDefs;
  familyInfo?: Family;
  /** the family's definitions are in (or failed): nodes have their final size */
  defsSettled: boolean;
  /** the family's definitions, in the family's palette order */
  paletteDefs: NodeDefinition[];
  /** the family's definition of a step, else the registry's (a foreign step) */
  definition: (step: string) => NodeDefinition | undefined;
}

export function useEditorBoot(family: string): EditorBoot {
  const { data: boot, error: bootError } = useFetched(fetchBoot);
  const [familyDefs, setFamilyDefs] = useState<FamilyDefs>({});

  useEffect(() => {
    if (!family || family in familyDefs) return;
    setFamilyDefs((m) => ({ ...m, [family]: 'loading' }));
    api.nodeDefinitions(family).then(
      (r) => setFamilyDefs((m) => ({ ...m, [family]: r.node_definitions })),
      (e: Error) => setFamilyDefs((m) => ({ ...m, [family]: e.message })),
    );
  }, [family, familyDefs]);

  const familyInfo = boot?.families.find((f) => f.key === family);
  const paletteDefs = useMemo(() => {
    const list = familyDefs[family];
    if (!Array.isArray(list)) return [];
    const order = familyInfo?.palette ?? [];
    const rank = (s: string) => (order.indexOf(s) < 0 ? order.length : order.indexOf(s));
    return [...list].sort((a, b) => rank(a.step) - rank(b.step));
  }, [familyDefs, family, familyInfo]);

  const byStep = useMemo(() => {
    const fam = new Map(paletteDefs.map((d) => [d.step, d]));
    const all = new Map((boot?.allDefs ?? []).map((d) => [d.step, d]));
    return { fam, all };
  }, [paletteDefs, boot]);
  const definition = useCallback((step: string) => byStep.fam.get(step) ?? byStep.all.get(step), [byStep]);

  return {
    boot,
    bootError,
    familyDefs,
    familyInfo,
    defsSettled: family in familyDefs && familyDefs[family] !== 'loading',
    paletteDefs,
    definition,
  };
}
