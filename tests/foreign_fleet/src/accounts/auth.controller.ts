import { Body, Controller, Get, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { CurrentPrincipal, JwtAuthGuard, Principal } from '../common/auth';
import { isUuid, nonEmptyString, requireFields, token } from '../common/validation';
import { AuthService } from './auth.service';

@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('sign-up')
  async signUp(@Body() body: Record<string, unknown>) {
    const { username, password, tenant, displayName } = requireFields(body, {
      username: nonEmptyString, password: nonEmptyString, tenant: isUuid, displayName: nonEmptyString,
    });
    return this.auth.signUp(tenant as string, username as string, password as string, displayName as string);
  }

  @Post('sign-in')
  async signIn(@Body() body: Record<string, unknown>) {
    const { username, password, tenant } = requireFields(body, {
      username: nonEmptyString, password: nonEmptyString, tenant: isUuid,
    });
    return this.auth.signIn(tenant as string, username as string, password as string);
  }

  @Post('refresh')
  async refresh(@Body() body: Record<string, unknown>) {
    const { refreshToken } = requireFields(body, { refreshToken: token });
    return this.auth.refresh(refreshToken as string);
  }
}

@Controller('users')
@UseGuards(JwtAuthGuard)
export class UsersController {
  constructor(private readonly auth: AuthService) {}

  @Get(':id')
  async user(@Param('id', new ParseUUIDPipe()) id: string, @CurrentPrincipal() principal: Principal) {
    return this.auth.user(principal.tid, id);
  }
}
