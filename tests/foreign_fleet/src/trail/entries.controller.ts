import { BadRequestException, Controller, Get, Query, UseGuards } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CurrentPrincipal, JwtAuthGuard, Principal } from '../common/auth';
import { inTenant } from '../common/db';

@Controller('entries')
@UseGuards(JwtAuthGuard)
export class EntriesController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  async list(@Query('subject') subject: string | undefined, @CurrentPrincipal() principal: Principal) {
    if (!subject) {
      throw new BadRequestException('subject is required');
    }
    return inTenant(this.dataSource, principal.tid, (m) =>
      m.query(
        `SELECT id, event_id AS "eventId", type, source, subject, occurred_at AS "occurredAt", topic,
           kafka_partition AS "partition", kafka_offset::text AS "offset", data, created_at AS "recordedAt"
         FROM trail.entries WHERE subject = $1 ORDER BY occurred_at, id`,
        [subject],
      ),
    );
  }
}
