import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { TerminusModule } from '@nestjs/terminus';
import { TypeOrmModule } from '@nestjs/typeorm';
import { JwtAuthGuard } from '../common/auth';
import { env } from '../common/config';
import { runtimeOptions } from '../common/db';
import { KafkaHealthIndicator } from '../common/health';
import { HttpMetricsMiddleware, MetricsController } from '../common/metrics';
import { EntriesController } from './entries.controller';
import { TrailHealthController } from './health.controller';
import { TrailConsumer } from './trail.consumer';

@Module({
  imports: [
    TypeOrmModule.forRoot(runtimeOptions(env('DATABASE_URL'))),
    JwtModule.register({ secret: env('JWT_SECRET'), signOptions: { algorithm: 'HS256' } }),
    TerminusModule,
  ],
  controllers: [EntriesController, TrailHealthController, MetricsController],
  providers: [JwtAuthGuard, KafkaHealthIndicator, TrailConsumer],
})
export class TrailModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*');
  }
}
