export * from './random';
export * from './module';
export * from './layers';
export * from './mult-adds';
