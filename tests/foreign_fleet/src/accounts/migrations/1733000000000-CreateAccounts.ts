import { MigrationInterface, QueryRunner } from 'typeorm';
import { appRole, outboxTable, tenantPolicy } from '../../common/db';

export class CreateAccounts1733000000000 implements MigrationInterface {
  name = 'CreateAccounts1733000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const role = appRole();
    const statements = [
      'CREATE SCHEMA accounts',
      `CREATE TABLE accounts.users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        username text NOT NULL,
        display_name text NOT NULL,
        password_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_tenant_username_key UNIQUE (tenant_id, username)
      )`,
      `CREATE TABLE accounts.refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        user_id uuid NOT NULL REFERENCES accounts.users (id) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      'CREATE INDEX refresh_tokens_tenant_id_idx ON accounts.refresh_tokens (tenant_id)',
      'CREATE INDEX refresh_tokens_user_id_idx ON accounts.refresh_tokens (user_id)',
      ...tenantPolicy('accounts.users'),
      ...tenantPolicy('accounts.refresh_tokens'),
      ...outboxTable('accounts'),
      `GRANT USAGE ON SCHEMA accounts TO ${role}`,
      `GRANT SELECT, INSERT, UPDATE ON accounts.users TO ${role}`,
      `GRANT SELECT, INSERT, UPDATE ON accounts.refresh_tokens TO ${role}`,
      `GRANT SELECT, INSERT, UPDATE ON accounts.outbox TO ${role}`,
    ];
    for (const statement of statements) {
      await queryRunner.query(statement);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const role = appRole();
    await queryRunner.query(`REVOKE ALL ON SCHEMA accounts FROM ${role}`);
    await queryRunner.query('DROP TABLE accounts.outbox');
    await queryRunner.query('DROP TABLE accounts.refresh_tokens');
    await queryRunner.query('DROP TABLE accounts.users');
    await queryRunner.query('DROP SCHEMA accounts');
  }
}
