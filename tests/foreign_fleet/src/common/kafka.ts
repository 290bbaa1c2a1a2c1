import { Kafka, logLevel } from 'kafkajs';
import { env } from './config';

// One client per process. Short retries: readiness and the relay must notice a broker outage, not hide it behind
// minutes of backoff (kafkajs' default retry budget is ~30 s per request).
let client: Kafka | undefined;

export function kafka(): Kafka {
  client ??= new Kafka({
    clientId: env('SERVICE_NAME'),
    brokers: env('KAFKA_BROKERS').split(','),
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.ERROR,
  });
  return client;
}
