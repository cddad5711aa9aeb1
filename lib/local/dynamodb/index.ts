export { DynamoDbEngine, type DynamoDbEngineOptions } from './engine.js';
export { DynamoDbError, type DynamoDbErrorName } from './errors.js';
export { attachDynamoDbEngine, type AttachOptions } from './sdk.js';
export type { AttributeValue, AttributeType, Item, KeySchema } from './types.js';
export { startLocalDynamoDb, type LocalDynamoDb, type LocalDynamoDbOptions } from './http.js';
