// any service: http_requests_total / http_request_duration_seconds labelled with the raw path
// (/api/products/2f1c...) instead of the route template: one series per id, unbounded cardinality.
const { built, replaceMethod } = require('./_patch');

const { HttpMetricsMiddleware } = built('common/metrics.js');
replaceMethod(HttpMetricsMiddleware.prototype, 'routeOf', () => function routeOf(req) {
  return req.originalUrl.split('?')[0];
});
