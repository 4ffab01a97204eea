// The home page's choices, pure: what counts as recent, which products still
// wait for their CAD intake, and whether this is an empty install that needs
// the getting-started path.
import type { CadFile, CadIntake, Order, Product, RunSummary } from './types';

/** The newest first (by created_at, then id, which sorts by time), at most n. */
export function newest<T extends { id: string; created_at?: string }>(items: readonly T[], n: number): T[] {
  return [...items].sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? '') || b.id.localeCompare(a.id)).slice(0, n);
}

/** Why a product cannot be ordered yet, or null when its intake succeeded. intake: its CAD file's, when the product does not carry it. */
export function intakeWait(p: Product, intake?: CadIntake | null): 'no-cad-file' | 'running' | 'failed' | 'not-started' | null {
  if (!p.cad_file) return 'no-cad-file';
  const s = (p.cad_intake ?? intake)?.status;
  if (s === 'succeeded') return null;
  if (s === 'running') return 'running';
  if (s === 'failed' || s === 'cancelled') return 'failed';
  return 'not-started';
}

export const INTAKE_WAIT_WORDS: Record<NonNullable<ReturnType<typeof intakeWait>>, string> = {
  'no-cad-file': 'needs a STEP file',
  running: 'intake running',
  failed: 'intake failed',
  'not-started': 'intake not started',
};

/** The products that cannot be ordered yet, with why (cadFiles: GET /api/cad-files, for their intakes). */
export function awaitingIntake(products: readonly Product[], cadFiles: readonly CadFile[] = []): { product: Product; why: string }[] {
  const intakes = new Map(cadFiles.map((f) => [f.id, f.intake]));
  return products.flatMap((p) => {
    const w = intakeWait(p, p.cad_file ? intakes.get(p.cad_file) : undefined);
    return w ? [{ product: p, why: INTAKE_WAIT_WORDS[w] }] : [];
  });
}

/** The demo catalog's sample product, to order in the getting-started path. */
export function demoProduct(products: readonly Product[]): Product | undefined {
  return products.find((p) => p.sku === 'GB-100') ?? products.find((p) => /gearbox/i.test(p.name));
}

/** An install nobody has ordered from yet: the page leads with how to start. */
export function isFreshInstall(orders: readonly Order[], runs: readonly RunSummary[]): boolean {
  return orders.length === 0 && runs.every((r) => r.family === 'cad_file');
}
