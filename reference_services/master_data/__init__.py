"""master-data: customers, vendors, products and accounts per tenant, with the Bangladesh rules of SPEC.md."""
