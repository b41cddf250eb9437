export * from './api';
export * from './datasets';
export * from './errors';
export * from './metrics';
export * from './primitives';
export * from './runs';
export * from './config';
export * from './evaluation';
