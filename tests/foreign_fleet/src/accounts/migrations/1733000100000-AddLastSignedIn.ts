import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddLastSignedIn1733000100000 implements MigrationInterface {
  name = 'AddLastSignedIn1733000100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE accounts.users ADD COLUMN last_signed_in_at timestamptz');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE accounts.users DROP COLUMN last_signed_in_at');
  }
}
