import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { env } from './config';

export async function bootstrap(module: unknown): Promise<void> {
  const app = await NestFactory.create(module as never, { logger: ['error', 'warn', 'log'] });
  app.setGlobalPrefix('api');
  app.enableShutdownHooks();
  await app.listen(Number(env('PORT')), env('HOST', '127.0.0.1'));
}
