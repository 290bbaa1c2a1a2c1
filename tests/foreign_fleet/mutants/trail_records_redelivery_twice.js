// trail: the dedupe key is taken from the Kafka message's position (topic, partition, offset) instead of the
// CloudEvent id, so the same event delivered again at another offset (a producer retry, a replay) is recorded twice.
const { createHash } = require('crypto');
const { built, replaceMethod } = require('./_patch');

const { TrailConsumer } = built('trail/trail.consumer.js');
replaceMethod(TrailConsumer.prototype, 'dedupeKey', () => function dedupeKey(_event, message, topic, partition) {
  const hex = createHash('md5').update(`${topic}/${partition}/${message.offset}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
});
