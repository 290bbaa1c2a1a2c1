import { Counter } from 'prom-client';

export const eventsRecorded = new Counter({
  name: 'trail_events_recorded_total',
  help: 'Events recorded as trail entries (redeliveries not counted), by CloudEvent type.',
  labelNames: ['type'],
});
