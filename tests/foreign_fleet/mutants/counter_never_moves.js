// catalog: catalog_products_written_total is declared and exposed but never incremented (the increment was lost in a
// refactor): the family is there, its value never moves.
const { built } = require('./_patch');

const { productsWritten } = built('catalog/metrics.js');
productsWritten.inc = () => undefined;
