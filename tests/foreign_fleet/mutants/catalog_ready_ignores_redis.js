// catalog: the Redis indicator reports "up" without asking Redis (as when someone stubbed it during an incident and
// the stub shipped). Readiness stays 200 with Redis stopped.
const { built, replaceMethod } = require('./_patch');

const { RedisHealthIndicator } = built('common/health.js');
replaceMethod(RedisHealthIndicator.prototype, 'isHealthy', () => async function isHealthy(key) {
  return this.getStatus(key, true);
});
