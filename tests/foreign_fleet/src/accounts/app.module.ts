import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { JwtAuthGuard } from '../common/auth';
import { env } from '../common/config';
import { runtimeOptions } from '../common/db';
import { KafkaHealthIndicator } from '../common/health';
import { HttpMetricsMiddleware, MetricsController } from '../common/metrics';
import { Outbox, OutboxRelay } from '../common/outbox';
import { AuthController, UsersController } from './auth.controller';
import { AuthService } from './auth.service';
import { AccountsHealthController } from './health.controller';

@Module({
  imports: [
    TypeOrmModule.forRoot(runtimeOptions(env('DATABASE_URL'))),
    JwtModule.register({ secret: env('JWT_SECRET'), signOptions: { algorithm: 'HS256' } }),
    TerminusModule,
  ],
  controllers: [AuthController, UsersController, AccountsHealthController, MetricsController],
  providers: [
    AuthService,
    JwtAuthGuard,
    KafkaHealthIndicator,
    { provide: Outbox, useFactory: () => new Outbox('accounts') },
    { provide: OutboxRelay, useFactory: (ds: DataSource) => new OutboxRelay(ds, 'accounts'), inject: [DataSource] },
  ],
})
export class AccountsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*');
  }
}
