// Settings › Categories: the product categories output types are offered for.
import { categoriesApi } from '../api';
import type { CatalogBoot } from './CatalogView';
import { ItemsPage } from './ItemsPage';

export function CategoriesPage({ boot }: { boot: CatalogBoot }) {
  return (
    <ItemsPage
      title="Categories"
      noun="category"
      testId="categories"
      items={categoriesApi}
      schema={boot.apiSchemas.Category}
      deleteMessage="Products and output types that refer to it keep it from being deleted; the server says which."
    />
  );
}
