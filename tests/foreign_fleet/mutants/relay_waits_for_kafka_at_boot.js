// catalog: the outbox relay connects its producer during bootstrap and retries until Kafka answers (a common way to
// "make sure the broker is there" before serving). NestJS awaits onApplicationBootstrap before app.listen(), so with
// Kafka down at boot the HTTP listener never opens: no liveness, no readiness, until the broker returns.
const { built, replaceMethod } = require('./_patch');

const { OutboxRelay } = built('common/outbox.js');
replaceMethod(OutboxRelay.prototype, 'onApplicationBootstrap', () => async function onApplicationBootstrap() {
  for (;;) {
    try {
      await this.connectedProducer();
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  this.schedule();
});
