import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddProductDescription1733000100000 implements MigrationInterface {
  name = 'AddProductDescription1733000100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE catalog.products ADD COLUMN description text');
    await queryRunner.query('CREATE INDEX products_tenant_name_idx ON catalog.products (tenant_id, name)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX catalog.products_tenant_name_idx');
    await queryRunner.query('ALTER TABLE catalog.products DROP COLUMN description');
  }
}
