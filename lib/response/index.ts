export * from './event-fanout';
export * from './health-event-automation';
export * from './trail-tamper-response';
