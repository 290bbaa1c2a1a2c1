import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CloudEvent, Kafka as CloudEventsKafka } from 'cloudevents';
import { randomUUID } from 'crypto';
import type { Producer } from 'kafkajs';
import { DataSource, EntityManager } from 'typeorm';
import { serviceName } from './config';
import { kafka } from './kafka';

export interface DomainEvent {
  topic: string; // <service>.<entity>.<past-tense-verb>
  aggregateId: string; // the CloudEvent subject and the Kafka key
  tenantId: string;
  data: Record<string, unknown>;
}

export interface OutboxMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}

// The message as it goes to Kafka: a structured-mode CloudEvent 1.0 (cloudevents' Kafka binding) plus x-tenant-id.
export function toMessage(event: DomainEvent): OutboxMessage {
  const cloudEvent = new CloudEvent({
    id: randomUUID(),
    source: `urn:bazaar:${serviceName()}`,
    type: event.topic,
    subject: event.aggregateId,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    tenantid: event.tenantId,
    data: event.data,
  });
  const message = CloudEventsKafka.structured(cloudEvent);
  const headers: Record<string, string> = { 'x-tenant-id': event.tenantId };
  for (const [name, value] of Object.entries(message.headers)) {
    headers[name] = String(value);
  }
  return { key: event.aggregateId, value: String(message.value), headers };
}

// Provided with useFactory (the schema is per service).
export class Outbox {
  constructor(private readonly schema: string) {}

  // Written with the caller's manager: the event commits or rolls back with the data.
  async enqueue(manager: EntityManager, event: DomainEvent): Promise<void> {
    const message = toMessage(event);
    await manager.query(
      `INSERT INTO ${this.schema}.outbox (tenant_id, topic, message_key, payload) VALUES ($1, $2, $3, $4)`,
      [event.tenantId, event.topic, message.key, JSON.stringify(message)],
    );
  }
}

// Polls the outbox and publishes pending rows with an idempotent producer, oldest first, then marks them published.
// A failed send leaves the rows pending: they go out, in order, once Kafka is back.
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private producer?: Producer;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly schema: string,
    private readonly intervalMs = 200,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.producer?.disconnect().catch(() => undefined);
  }

  private schedule(): void {
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.tick(), this.intervalMs);
    }
  }

  private async tick(): Promise<void> {
    try {
      await this.relayBatch();
    } catch (error) {
      this.logger.warn(`relay failed, will retry: ${(error as Error).message}`);
      const producer = this.producer;
      this.producer = undefined;
      await producer?.disconnect().catch(() => undefined);
    } finally {
      this.schedule();
    }
  }

  async relayBatch(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const rows: { id: string; topic: string; payload: string }[] = await manager.query(
        `SELECT id, topic, payload FROM ${this.schema}.outbox WHERE published_at IS NULL
         ORDER BY created_at, id LIMIT 100 FOR UPDATE SKIP LOCKED`,
      );
      if (rows.length === 0) {
        return 0;
      }
      const producer = await this.connectedProducer();
      for (const row of rows) {
        const message = JSON.parse(row.payload) as OutboxMessage;
        await producer.send({ topic: row.topic, messages: [message], acks: -1 });
      }
      await manager.query(`UPDATE ${this.schema}.outbox SET published_at = now() WHERE id = ANY($1)`, [
        rows.map((row) => row.id),
      ]);
      return rows.length;
    });
  }

  private async connectedProducer(): Promise<Producer> {
    if (!this.producer) {
      // Idempotent by default. KAFKA_IDEMPOTENT=false for brokers that refuse kafkajs' InitProducerId v1 (Tansu
      // does): then acks=all and one request in flight keep order, and consumers dedupe by event id.
      const idempotent = process.env.KAFKA_IDEMPOTENT !== 'false';
      const producer = kafka().producer({ idempotent, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      this.producer = producer;
    }
    return this.producer;
  }
}
