export * from './definition.js';
export * from './envelope.js';
export * from './env.js';
export * from './errors.js';
export * from './keys.js';
export * from './model.js';
export * from './verify/index.js';
export * from './diagram.js';
