// The lists the server keeps that node params choose from (see
// serverChoices.ts), fetched when the node panel opens. A list that cannot
// be read is left empty, and its params stay free text.
import { categoriesApi, materialLibrariesApi, templatesApi } from './api';
import type { Choice, ServerLists } from './serverChoices';
import { useFetched } from './useFetched';

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const choice = (value: string, label: unknown): Choice => ({ value, label: str(label) || value });
const orEmpty = <T>(p: Promise<T>, empty: T) => p.catch(() => empty);

/** A module function, so useFetched keeps its identity. */
async function fetchServerLists(): Promise<ServerLists> {
  const [libs, templates, categories] = await Promise.all([
    orEmpty(materialLibrariesApi.list(), { items: [], problems: {} }),
    orEmpty(templatesApi.list(), { items: [], problems: {} }),
    orEmpty(categoriesApi.list(), []),
  ]);
  const libraries = libs.items.map((l) => choice(l.library, l.label));
  const docs = await Promise.all(libraries.map((l) => orEmpty(materialLibrariesApi.get(l.value), null)));
  const materials: Record<string, Choice[]> = {};
  libraries.forEach((l, i) => {
    const list = docs[i]?.materials;
    materials[l.value] = Array.isArray(list) ? list.map((m) => choice(str((m as Record<string, unknown>)?.key), (m as Record<string, unknown>)?.label)).filter((c) => c.value) : [];
  });
  return {
    libraries,
    materials,
    templates: templates.items.map((t) => choice(str(t.key), t.label)).filter((c) => c.value),
    categories: categories.map((c) => choice(c.key, c.name)),
  };
}

export function useServerLists(): ServerLists | null {
  return useFetched(fetchServerLists).data;
}

