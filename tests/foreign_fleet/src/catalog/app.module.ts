import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { JwtAuthGuard } from '../common/auth';
import { env } from '../common/config';
import { runtimeOptions } from '../common/db';
import { KafkaHealthIndicator, RedisHealthIndicator } from '../common/health';
import { HttpMetricsMiddleware, MetricsController } from '../common/metrics';
import { Outbox, OutboxRelay } from '../common/outbox';
import { createRedis } from '../common/redis';
import { CatalogLivenessController, CatalogReadinessController } from './health.controller';
import { ProductsController } from './products.controller';
import { ProductsService } from './products.service';

@Module({
  imports: [
    TypeOrmModule.forRoot(runtimeOptions(env('DATABASE_URL'))),
    JwtModule.register({ secret: env('JWT_SECRET'), signOptions: { algorithm: 'HS256' } }),
    TerminusModule,
  ],
  controllers: [ProductsController, CatalogLivenessController, CatalogReadinessController, MetricsController],
  providers: [
    ProductsService,
    JwtAuthGuard,
    KafkaHealthIndicator,
    RedisHealthIndicator,
    { provide: Redis, useFactory: createRedis },
    { provide: Outbox, useFactory: () => new Outbox('catalog') },
    { provide: OutboxRelay, useFactory: (ds: DataSource) => new OutboxRelay(ds, 'catalog'), inject: [DataSource] },
  ],
})
export class CatalogModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*');
  }
}
