import { MigrationInterface, QueryRunner } from 'typeorm';

export class IndexEntriesBySubject1733000100000 implements MigrationInterface {
  name = 'IndexEntriesBySubject1733000100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE INDEX entries_tenant_subject_idx ON trail.entries (tenant_id, subject, occurred_at)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX trail.entries_tenant_subject_idx');
  }
}
