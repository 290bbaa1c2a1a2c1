import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Consumer, KafkaMessage } from 'kafkajs';
import { DataSource } from 'typeorm';
import { inTenant } from '../common/db';
import { kafka } from '../common/kafka';
import { isUuid } from '../common/validation';
import { eventsRecorded } from './metrics';

export const GROUP_ID = 'bazaar-trail';
// Every accounts.* and catalog.* topic that exists when the consumer subscribes.
const TOPICS = [/^accounts\..+/, /^catalog\..+/];

export interface ReceivedEvent {
  id: string;
  type: string;
  source: string;
  subject: string;
  time: string;
  tenantid: string;
  data?: unknown;
}

@Injectable()
export class TrailConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TrailConsumer');
  private consumer?: Consumer;
  private stopped = false;

  constructor(private readonly dataSource: DataSource) {}

  async onApplicationBootstrap(): Promise<void> {
    void this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.consumer?.disconnect().catch(() => undefined);
  }

  // Tansu answers a group join in ~3 s with a 6 s session timeout (~23 s with kafkajs' 30 s default).
  private async run(): Promise<void> {
    while (!this.stopped) {
      // No auto-creation: kafkajs consumers ask for it by default, and a broker that honours it (Tansu does, with
      // 4 partitions) would re-create a missing topic with the wrong partition count after a broker restart.
      const consumer = kafka().consumer({
        groupId: GROUP_ID, sessionTimeout: 6000, heartbeatInterval: 1000, rebalanceTimeout: 6000,
        allowAutoTopicCreation: false,
      });
      this.consumer = consumer;
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: TOPICS, fromBeginning: true });
        const crashed = new Promise<void>((resolve) => consumer.on(consumer.events.CRASH, (e) => {
          if (!e.payload.restart) resolve();
        }));
        await consumer.run({
          eachMessage: async ({ topic, partition, message }) => this.record(topic, partition, message),
        });
        await crashed;
      } catch (error) {
        this.logger.warn(`consumer failed, restarting: ${(error as Error).message}`);
      }
      await consumer.disconnect().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  // The key that makes a redelivery a no-op: the CloudEvent id.
  dedupeKey(event: ReceivedEvent, _message: KafkaMessage, _topic: string, _partition: number): string {
    return event.id;
  }

  async record(topic: string, partition: number, message: KafkaMessage): Promise<void> {
    let event: ReceivedEvent;
    try {
      event = JSON.parse(String(message.value));
    } catch {
      this.logger.warn(`${topic}/${partition}@${message.offset}: not JSON, skipped`);
      return;
    }
    if (!isUuid(event.id) || !isUuid(event.tenantid) || !event.type || !event.subject) {
      this.logger.warn(`${topic}/${partition}@${message.offset}: not a bazaar CloudEvent, skipped`);
      return;
    }
    const key = this.dedupeKey(event, message, topic, partition);
    const inserted = await inTenant(this.dataSource, event.tenantid, (m) =>
      m.query(
        `INSERT INTO trail.entries (tenant_id, event_id, type, source, subject, occurred_at, topic, kafka_partition,
           kafka_offset, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (tenant_id, event_id) DO NOTHING RETURNING id`,
        [event.tenantid, key, event.type, event.source, event.subject, event.time ?? new Date().toISOString(), topic,
         partition, message.offset, JSON.stringify(event.data ?? null)],
      ),
    );
    if (inserted.length > 0) {
      eventsRecorded.inc({ type: event.type });
    }
  }
}
