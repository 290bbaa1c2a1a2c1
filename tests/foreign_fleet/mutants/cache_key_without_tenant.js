// catalog: the Redis read-through cache of GET /api/products/:id is keyed by the product id alone, not by tenant and
// id: the owner's read fills it, and another tenant's read of the same id is answered from it (caught by
// TENANCY-NO-FOREIGN-CANARY: the other tenant's GET holds the owner's canary).
const { built } = require('./_patch');

const { ProductsService } = built('catalog/products.service.js');
ProductsService.prototype.cacheKey = function cacheKey(_tenant, id) {
  return `catalog:product:${id}`;
};
