export * from './event-fanout';
export * from './health-event-automation';
export * from './trail-tamper-response';
export * from './operational-event-filters';
export * from './operational-event';
export * from './chat-channel';
export * from './operational-event-routing';
