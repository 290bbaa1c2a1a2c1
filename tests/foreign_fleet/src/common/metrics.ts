import { Controller, Get, Injectable, NestMiddleware, Res } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Histogram, register } from 'prom-client';

// The library's defaults (nodejs_*, process_*), as most teams leave them.
collectDefaultMetrics();

export const httpRequests = new Counter({
  name: 'http_requests_total',
  help: 'HTTP requests served, by method, route template and status code.',
  labelNames: ['method', 'route', 'status_code'],
});

export const httpDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request duration in seconds, by method, route template and status code.',
  labelNames: ['method', 'route', 'status_code'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
});

@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    const end = httpDuration.startTimer();
    res.on('finish', () => {
      const labels = { method: req.method, route: this.routeOf(req), status_code: String(res.statusCode) };
      httpRequests.inc(labels);
      end(labels);
    });
    next();
  }

  // Express knows the matched route template once the router ran (it has by 'finish'); unmatched paths share one
  // label so that scanners cannot grow the series count.
  routeOf(req: Request): string {
    const route = (req as Request & { route?: { path?: string } }).route;
    return route?.path ?? 'unmatched';
  }
}

@Controller('metrics')
export class MetricsController {
  @Get()
  async scrape(@Res() res: Response): Promise<void> {
    res.set('Content-Type', register.contentType);
    res.send(await register.metrics());
  }
}
