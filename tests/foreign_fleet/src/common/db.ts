import { DataSource, EntityManager } from 'typeorm';

// Row-level security reads the tenant from this setting; set with is_local = true (SET LOCAL), so it ends with the
// transaction and a pooled connection never carries one tenant into another's request.
export const TENANT_SETTING = 'app.current_tenant';

export async function inTenant<T>(
  dataSource: DataSource,
  tenantId: string,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  return dataSource.transaction(async (manager) => {
    await manager.query('SELECT set_config($1, $2, true)', [TENANT_SETTING, tenantId]);
    return work(manager);
  });
}

// Postgres error codes the services map to HTTP answers.
export const UNIQUE_VIOLATION = '23505';

export function pgCode(error: unknown): string | undefined {
  const candidate = error as { code?: string; driverError?: { code?: string } };
  return candidate.driverError?.code ?? candidate.code;
}

// The runtime connection options every service uses: small pool, bounded connects and statements.
export function runtimeOptions(url: string) {
  return {
    type: 'postgres' as const,
    url,
    extra: { max: 5, connectionTimeoutMillis: 2000, statement_timeout: 5000 },
    retryAttempts: 5,
    retryDelay: 1000,
  };
}

export function migrationSource(dirname: string): DataSource {
  return new DataSource({
    type: 'postgres',
    url: process.env.DATABASE_URL,
    migrations: [`${dirname}/migrations/*.js`],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
  });
}

// Names interpolated into DDL (the runtime role) must be plain identifiers.
export function identifier(name: string | undefined, variable: string): string {
  if (!name || !/^[a-z_][a-z0-9_]*$/.test(name)) {
    throw new Error(`${variable} must be a lower-case SQL identifier, got ${JSON.stringify(name)}`);
  }
  return name;
}

export const appRole = (): string => identifier(process.env.DB_APP_ROLE, 'DB_APP_ROLE');

// The tenant policy as each migration writes it.
export function tenantPolicy(table: string): string[] {
  const tenant = `NULLIF(current_setting('${TENANT_SETTING}', true), '')::uuid`;
  return [
    `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
    `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`,
    `CREATE POLICY tenant_isolation ON ${table} USING (tenant_id = ${tenant}) WITH CHECK (tenant_id = ${tenant})`,
  ];
}

export function outboxTable(schema: string): string[] {
  // Not under RLS: the relay reads every tenant's pending events (the tenant travels in the event and its header).
  return [
    `CREATE TABLE ${schema}.outbox (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      tenant_id uuid NOT NULL,
      topic text NOT NULL,
      message_key text NOT NULL,
      payload text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz
    )`,
    `CREATE INDEX outbox_tenant_id_idx ON ${schema}.outbox (tenant_id)`,
    `CREATE INDEX outbox_pending_idx ON ${schema}.outbox (created_at) WHERE published_at IS NULL`,
  ];
}
