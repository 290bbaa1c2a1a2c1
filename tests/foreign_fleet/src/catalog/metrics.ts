import { Counter } from 'prom-client';

export const productsWritten = new Counter({
  name: 'catalog_products_written_total',
  help: 'Product writes that committed, by operation (create, update, delete).',
  labelNames: ['operation'],
});
