// Settings › Pricing tiers: a currency and a unit price per artifact kind,
// the kinds (and their labels) from the server's vocabulary.
import { pricingTiersApi } from '../api';
import { formatMoney } from '../catalog';
import type { CatalogBoot } from './CatalogView';
import { ItemsPage } from './ItemsPage';

export function PricingTiersPage({ boot }: { boot: CatalogBoot }) {
  const kinds = boot.vocabulary.artifact_kinds.map((k) => ({ key: k.key, label: k.label ?? k.key }));
  return (
    <ItemsPage
      title="Pricing tiers"
      noun="pricing tier"
      testId="tiers"
      items={pricingTiersApi}
      schema={boot.apiSchemas.PricingTier}
      mapKeys={kinds}
      formatMapValue={(v, tier) => (typeof v === 'number' ? formatMoney(v, tier.currency) : String(v))}
      suggestFrom={['currency']}
      deleteMessage="Output types priced by it keep it from being deleted; the server says which."
    />
  );
}
