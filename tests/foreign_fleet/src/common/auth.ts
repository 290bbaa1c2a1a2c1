import { CanActivate, ExecutionContext, Injectable, UnauthorizedException, createParamDecorator } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { Request } from 'express';

export interface Principal {
  sub: string; // the user id
  tid: string; // the tenant (a uuid)
}

@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(private readonly jwt: JwtService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const [scheme, token] = (req.headers.authorization ?? '').split(' ');
    if (scheme !== 'Bearer' || !token) {
      throw new UnauthorizedException('missing bearer token');
    }
    try {
      const claims = await this.jwt.verifyAsync<Principal & { typ?: string }>(token, { algorithms: ['HS256'] });
      if (!claims.tid || !claims.sub || claims.typ === 'refresh') {
        throw new Error('not an access token');
      }
      req.principal = { sub: claims.sub, tid: claims.tid };
    } catch {
      throw new UnauthorizedException('invalid or expired access token');
    }
    return true;
  }
}

export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  return context.switchToHttp().getRequest<Request & { principal: Principal }>().principal;
});
