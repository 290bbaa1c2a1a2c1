// catalog: events go straight to Kafka from inside the transaction instead of through the outbox. The product
// service stages the event before its INSERT, so a refused write (a duplicate sku: 409) has already been published,
// and an event is lost whenever Kafka is down at write time.
const { built, replaceMethod } = require('./_patch');

const { Outbox, toMessage } = built('common/outbox.js');
const { kafka } = built('common/kafka.js');

let producer;
async function connected() {
  if (!producer) {
    producer = kafka().producer({ allowAutoTopicCreation: false });
    await producer.connect();
  }
  return producer;
}

replaceMethod(Outbox.prototype, 'enqueue', () => async function enqueue(_manager, event) {
  const message = toMessage(event);
  await (await connected()).send({ topic: event.topic, messages: [message], acks: -1 });
});
