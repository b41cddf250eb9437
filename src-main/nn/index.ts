export * from './random';
export * from './module';
export * from './layers';
