import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { KafkaHealthIndicator, RedisHealthIndicator } from '../common/health';

// Liveness predates the move to Terminus and was never ported: a plain answer, no dependency.
@Controller('health')
export class CatalogLivenessController {
  @Get('liveness')
  liveness() {
    return { status: 'UP' };
  }
}

@Controller('health')
export class CatalogReadinessController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly kafka: KafkaHealthIndicator,
  ) {}

  @Get('readiness')
  @HealthCheck()
  readiness() {
    return this.health.check([
      () => this.db.pingCheck('database', { timeout: 1500 }),
      () => this.redis.isHealthy('redis', 1000),
      () => this.kafka.isHealthy('kafka', 1500),
    ]);
  }
}
