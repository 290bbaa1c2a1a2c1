// accounts: liveness also pings the database, so a database outage makes the orchestrator restart healthy pods
// (liveness must not depend on dependencies).
const { built, replaceMethod } = require('./_patch');

const { AccountsHealthController } = built('accounts/health.controller.js');
replaceMethod(AccountsHealthController.prototype, 'liveness', () => function liveness() {
  return this.health.check([
    () => this.memory.checkHeap('memory_heap', 512 * 1024 * 1024),
    () => this.db.pingCheck('database', { timeout: 1500 }),
  ]);
});
