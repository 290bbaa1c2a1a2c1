import { BadRequestException } from '@nestjs/common';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

// Validation errors in the shape NestJS's ValidationPipe gives: a list of messages under "message".
export function requireFields(body: Record<string, unknown> | undefined, rules: Record<string, (v: unknown) => boolean>) {
  const problems = Object.entries(rules)
    .filter(([field, valid]) => !valid(body?.[field]))
    .map(([field]) => `${field} is missing or invalid`);
  if (problems.length > 0) {
    throw new BadRequestException(problems);
  }
  return body as Record<string, unknown>;
}

export const nonEmptyString = (v: unknown): boolean => typeof v === 'string' && v.trim().length > 0 && v.length <= 200;

export const token = (v: unknown): boolean => typeof v === 'string' && v.length > 0 && v.length <= 4096;
