import { ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'crypto';
import Redis from 'ioredis';
import { DataSource, EntityManager } from 'typeorm';
import { inTenant, pgCode, UNIQUE_VIOLATION } from '../common/db';
import { Outbox } from '../common/outbox';
import { productsWritten } from './metrics';

const CACHE_TTL_S = 60;
const COLUMNS = `id, tenant_id AS "tenantId", sku, name, description, price_bdt::text AS "priceBdt",
  created_at AS "createdAt", updated_at AS "updatedAt"`;

export interface ProductInput {
  sku?: string;
  name?: string;
  priceBdt?: string;
  description?: string | null;
}

@Injectable()
export class ProductsService {
  private readonly logger = new Logger('ProductsService');

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly redis: Redis,
  ) {}

  cacheKey(tenant: string, id: string): string {
    return `catalog:product:${tenant}:${id}`;
  }

  async create(tenant: string, input: Required<Omit<ProductInput, 'description'>> & ProductInput) {
    const id = randomUUID();
    const product = await this.write(tenant, async (manager) => {
      // The event is built from the input and staged first; it commits only if the insert below does.
      await this.outbox.enqueue(manager, {
        topic: 'catalog.product.created', aggregateId: id, tenantId: tenant,
        data: { id, sku: input.sku, name: input.name, priceBdt: input.priceBdt },
      });
      const [row] = await manager.query(
        `INSERT INTO catalog.products (id, tenant_id, sku, name, price_bdt, description) VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING ${COLUMNS}`,
        [id, tenant, input.sku, input.name, input.priceBdt, input.description ?? null],
      );
      return row;
    });
    productsWritten.inc({ operation: 'create' });
    return product;
  }

  async get(tenant: string, id: string) {
    const key = this.cacheKey(tenant, id);
    const cached = await this.redis.get(key).catch(() => null); // a cache outage falls through to the database
    if (cached) {
      return JSON.parse(cached);
    }
    const [row] = await inTenant(this.dataSource, tenant, (m) =>
      m.query(`SELECT ${COLUMNS} FROM catalog.products WHERE id = $1`, [id]),
    );
    if (!row) {
      throw new NotFoundException(`product ${id} not found`);
    }
    await this.redis.set(key, JSON.stringify(row), 'EX', CACHE_TTL_S).catch(() => undefined);
    return row;
  }

  async list(tenant: string, page: number, limit: number) {
    return inTenant(this.dataSource, tenant, async (m) => {
      const items = await m.query(`SELECT ${COLUMNS} FROM catalog.products ORDER BY created_at, id LIMIT $1 OFFSET $2`, [
        limit,
        (page - 1) * limit,
      ]);
      const [{ total }] = await m.query('SELECT count(*)::int AS total FROM catalog.products');
      return { items, total };
    });
  }

  async update(tenant: string, id: string, input: ProductInput) {
    const product = await this.write(tenant, async (manager) => {
      const [rows] = await manager.query(
        `UPDATE catalog.products SET sku = COALESCE($2, sku), name = COALESCE($3, name),
           price_bdt = COALESCE($4, price_bdt), description = COALESCE($5, description), updated_at = now()
         WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, input.sku ?? null, input.name ?? null, input.priceBdt ?? null, input.description ?? null],
      );
      const row = rows[0];
      if (!row) {
        throw new NotFoundException(`product ${id} not found`);
      }
      await this.outbox.enqueue(manager, {
        topic: 'catalog.product.updated', aggregateId: id, tenantId: tenant,
        data: { id, sku: row.sku, name: row.name, priceBdt: row.priceBdt },
      });
      return row;
    });
    await this.evict(tenant, id);
    productsWritten.inc({ operation: 'update' });
    return product;
  }

  async remove(tenant: string, id: string): Promise<void> {
    await this.write(tenant, async (manager) => {
      const [rows] = await manager.query('DELETE FROM catalog.products WHERE id = $1 RETURNING sku', [id]);
      if (rows.length === 0) {
        throw new NotFoundException(`product ${id} not found`);
      }
      await this.outbox.enqueue(manager, {
        topic: 'catalog.product.deleted', aggregateId: id, tenantId: tenant, data: { id, sku: rows[0].sku },
      });
    });
    await this.evict(tenant, id);
    productsWritten.inc({ operation: 'delete' });
  }

  private async write<T>(tenant: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await inTenant(this.dataSource, tenant, work);
    } catch (error) {
      if (pgCode(error) === UNIQUE_VIOLATION) {
        throw new ConflictException('a product with this sku exists in this tenant');
      }
      throw error;
    }
  }

  private async evict(tenant: string, id: string): Promise<void> {
    await this.redis.del(this.cacheKey(tenant, id)).catch((error) => {
      this.logger.warn(`cache eviction of ${id} failed: ${(error as Error).message}`);
    });
  }
}
