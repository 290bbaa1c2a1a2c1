import { ConflictException, Injectable, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'crypto';
import { DataSource } from 'typeorm';
import { inTenant, pgCode, UNIQUE_VIOLATION } from '../common/db';
import { Outbox } from '../common/outbox';
import { hashPassword, verifyPassword } from '../common/passwords';
import { signIns, signUps } from './metrics';

export const ACCESS_TTL_S = 300;
const REFRESH_TTL_S = 7 * 24 * 3600;

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly jwt: JwtService,
    private readonly outbox: Outbox,
  ) {}

  async signUp(tenant: string, username: string, password: string, displayName: string) {
    const passwordHash = await hashPassword(password);
    try {
      const user = await inTenant(this.dataSource, tenant, async (manager) => {
        const [row] = await manager.query(
          `INSERT INTO accounts.users (tenant_id, username, display_name, password_hash) VALUES ($1, $2, $3, $4)
           RETURNING id, username`,
          [tenant, username, displayName, passwordHash],
        );
        await this.outbox.enqueue(manager, {
          topic: 'accounts.user.signed-up', aggregateId: row.id, tenantId: tenant,
          data: { id: row.id, username, displayName },
        });
        return row as { id: string; username: string };
      });
      signUps.inc();
      return user;
    } catch (error) {
      if (pgCode(error) === UNIQUE_VIOLATION) {
        throw new ConflictException(`username ${username} is taken in this tenant`);
      }
      throw error;
    }
  }

  async signIn(tenant: string, username: string, password: string): Promise<TokenPair> {
    const pair = await inTenant(this.dataSource, tenant, async (manager) => {
      const [user] = await manager.query('SELECT id, password_hash FROM accounts.users WHERE username = $1', [username]);
      if (!user || !(await verifyPassword(password, user.password_hash))) {
        return undefined;
      }
      await manager.query('UPDATE accounts.users SET last_signed_in_at = now() WHERE id = $1', [user.id]);
      await this.outbox.enqueue(manager, {
        topic: 'accounts.user.signed-in', aggregateId: user.id, tenantId: tenant, data: { id: user.id, username },
      });
      return this.issue(manager, tenant, user.id);
    });
    signIns.inc({ result: pair ? 'success' : 'failure' });
    if (!pair) {
      throw new UnauthorizedException('invalid username or password');
    }
    return pair;
  }

  async refresh(refreshToken: string): Promise<TokenPair> {
    let claims: { sub: string; tid: string; jti: string; typ: string };
    try {
      claims = await this.jwt.verifyAsync(refreshToken, { algorithms: ['HS256'] });
    } catch {
      throw new UnauthorizedException('invalid refresh token');
    }
    if (claims.typ !== 'refresh') {
      throw new UnauthorizedException('invalid refresh token');
    }
    const pair = await inTenant(this.dataSource, claims.tid, async (manager) => {
      // rotation: a refresh token works once
      const [, revoked] = await manager.query(
        `UPDATE accounts.refresh_tokens SET revoked_at = now()
         WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()`,
        [claims.jti, claims.sub],
      );
      return revoked === 1 ? this.issue(manager, claims.tid, claims.sub) : undefined;
    });
    if (!pair) {
      throw new UnauthorizedException('refresh token expired, revoked or already used');
    }
    return pair;
  }

  async user(tenant: string, id: string) {
    const [user] = await inTenant(this.dataSource, tenant, (manager) =>
      manager.query(
        `SELECT id, tenant_id AS "tenantId", username, display_name AS "displayName", created_at AS "createdAt"
         FROM accounts.users WHERE id = $1`,
        [id],
      ),
    );
    if (!user) {
      throw new NotFoundException(`user ${id} not found`);
    }
    return user;
  }

  private async issue(manager: import('typeorm').EntityManager, tenant: string, userId: string): Promise<TokenPair> {
    const jti = randomUUID();
    await manager.query(
      `INSERT INTO accounts.refresh_tokens (id, tenant_id, user_id, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
      [jti, tenant, userId, REFRESH_TTL_S],
    );
    const accessToken = await this.jwt.signAsync({ sub: userId, tid: tenant }, { expiresIn: ACCESS_TTL_S });
    const refreshToken = await this.jwt.signAsync(
      { sub: userId, tid: tenant, typ: 'refresh', jti },
      { expiresIn: REFRESH_TTL_S },
    );
    return { accessToken, refreshToken, expiresIn: ACCESS_TTL_S };
  }
}
