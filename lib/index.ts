// The public API: every construct of the library, by domain. See README.md for the catalogue.
export * from './core';
export * from './resilience';
export * from './cicd';
export * from './security';
export * from './iac';
export * from './observability';
export * from './response';

