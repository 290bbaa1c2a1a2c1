import { MigrationInterface, QueryRunner } from 'typeorm';
import { appRole, outboxTable, tenantPolicy } from '../../common/db';

export class CreateCatalog1733000000000 implements MigrationInterface {
  name = 'CreateCatalog1733000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const role = appRole();
    const statements = [
      'CREATE SCHEMA catalog',
      `CREATE TABLE catalog.products (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL,
        sku text NOT NULL,
        name text NOT NULL,
        price_bdt numeric(18, 2) NOT NULL CHECK (price_bdt >= 0),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT products_tenant_sku_key UNIQUE (tenant_id, sku)
      )`,
      ...tenantPolicy('catalog.products'),
      ...outboxTable('catalog'),
      `GRANT USAGE ON SCHEMA catalog TO ${role}`,
      `GRANT SELECT, INSERT, UPDATE, DELETE ON catalog.products TO ${role}`,
      `GRANT SELECT, INSERT, UPDATE ON catalog.outbox TO ${role}`,
    ];
    for (const statement of statements) {
      await queryRunner.query(statement);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`REVOKE ALL ON SCHEMA catalog FROM ${appRole()}`);
    await queryRunner.query('DROP TABLE catalog.outbox');
    await queryRunner.query('DROP TABLE catalog.products');
    await queryRunner.query('DROP SCHEMA catalog');
  }
}
