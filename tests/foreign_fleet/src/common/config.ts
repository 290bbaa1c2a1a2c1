// Every service reads the same environment: a missing variable stops the boot with its name, not a stack trace.
export function env(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') {
    throw new Error(`${process.env.SERVICE_NAME ?? 'service'}: environment variable ${name} is required`);
  }
  return value;
}

export const serviceName = (): string => env('SERVICE_NAME');
