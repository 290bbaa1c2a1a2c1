import { MigrationInterface, QueryRunner } from 'typeorm';
import { appRole, tenantPolicy } from '../../common/db';

export class CreateTrail1733000000000 implements MigrationInterface {
  name = 'CreateTrail1733000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const role = appRole();
    const statements = [
      'CREATE SCHEMA trail',
      `CREATE TABLE trail.entries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        event_id uuid NOT NULL,
        type text NOT NULL,
        source text NOT NULL,
        subject text NOT NULL,
        occurred_at timestamptz NOT NULL,
        topic text NOT NULL,
        kafka_partition integer NOT NULL,
        kafka_offset bigint NOT NULL,
        data jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT entries_tenant_event_key UNIQUE (tenant_id, event_id)
      )`,
      ...tenantPolicy('trail.entries'),
      `GRANT USAGE ON SCHEMA trail TO ${role}`,
      `GRANT SELECT, INSERT ON trail.entries TO ${role}`,
    ];
    for (const statement of statements) {
      await queryRunner.query(statement);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`REVOKE ALL ON SCHEMA trail FROM ${appRole()}`);
    await queryRunner.query('DROP TABLE trail.entries');
    await queryRunner.query('DROP SCHEMA trail');
  }
}
