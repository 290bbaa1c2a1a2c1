import { Counter } from 'prom-client';

export const signIns = new Counter({
  name: 'accounts_sign_ins_total',
  help: 'Sign-in attempts, by result (success, failure).',
  labelNames: ['result'],
});

export const signUps = new Counter({ name: 'accounts_sign_ups_total', help: 'Users signed up.' });
