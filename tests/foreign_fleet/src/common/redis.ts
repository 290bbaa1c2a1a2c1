import Redis from 'ioredis';
import { env } from './config';

// No offline queue: with Redis down a command fails at once instead of waiting for a reconnect, so readiness and the
// cache notice. ioredis keeps reconnecting in the background (every 500 ms).
export function createRedis(): Redis {
  const client = new Redis(env('REDIS_URL'), {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    commandTimeout: 1000, // a frozen Redis must not hang a request: the cache falls through to the database
    retryStrategy: () => 500,
    lazyConnect: false,
  });
  client.on('error', () => undefined); // reconnects are expected during an outage; readiness reports them
  return client;
}
