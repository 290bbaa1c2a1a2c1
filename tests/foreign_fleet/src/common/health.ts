import { Injectable } from '@nestjs/common';
import { HealthCheckError, HealthIndicator, HealthIndicatorResult } from '@nestjs/terminus';
import type { Admin } from 'kafkajs';
import Redis from 'ioredis';
import { kafka } from './kafka';

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

@Injectable()
export class KafkaHealthIndicator extends HealthIndicator {
  private admin?: Admin;

  // describeCluster asks a broker for metadata: a real round trip. A failed admin is dropped so the next check
  // reconnects instead of reusing a dead socket.
  async isHealthy(key: string, timeoutMs = 1500): Promise<HealthIndicatorResult> {
    try {
      if (!this.admin) {
        this.admin = kafka().admin({ retry: { retries: 0 } });
        await withTimeout(this.admin.connect(), timeoutMs, 'kafka connect');
      }
      const cluster = await withTimeout(this.admin.describeCluster(), timeoutMs, 'kafka describeCluster');
      return this.getStatus(key, true, { brokers: cluster.brokers.length });
    } catch (error) {
      const admin = this.admin;
      this.admin = undefined;
      admin?.disconnect().catch(() => undefined);
      throw new HealthCheckError('Kafka check failed', this.getStatus(key, false, { message: String((error as Error).message) }));
    }
  }
}

@Injectable()
export class RedisHealthIndicator extends HealthIndicator {
  constructor(private readonly redis: Redis) {
    super();
  }

  async isHealthy(key: string, timeoutMs = 1000): Promise<HealthIndicatorResult> {
    try {
      const answer = await withTimeout(this.redis.ping(), timeoutMs, 'redis PING');
      return this.getStatus(key, answer === 'PONG');
    } catch (error) {
      throw new HealthCheckError('Redis check failed', this.getStatus(key, false, { message: String((error as Error).message) }));
    }
  }
}
