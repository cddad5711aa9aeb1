/**
 * A DynamoDB service error, as the service returns it: an error `name` from DynamoDB's closed set
 * (the `__type` suffix on the wire, the exception class in the SDK), the service's message, and the
 * extra members some errors carry (`CancellationReasons`, `Item`).
 *
 * The engine lives apart from the framework (it has no dependency on it), so its errors are its own.
 */
export class DynamoDbError extends Error {
  /** HTTP status the service answers with: 400 for client errors, 500 for internal ones. */
  readonly statusCode: number;
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(name: DynamoDbErrorName, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.name = name;
    this.statusCode = name === 'InternalServerError' ? 500 : 400;
    this.extra = extra;
  }

  /** True when the SDK treats the error as a client fault (`$fault: 'client'`). */
  get isClientFault(): boolean {
    return this.statusCode < 500;
  }
}

export type DynamoDbErrorName =
  | 'ValidationException'
  | 'ConditionalCheckFailedException'
  | 'TransactionCanceledException'
  | 'TransactionConflictException'
  | 'IdempotentParameterMismatchException'
  | 'ResourceNotFoundException'
  | 'ResourceInUseException'
  | 'ItemCollectionSizeLimitExceededException'
  | 'ProvisionedThroughputExceededException'
  | 'RequestLimitExceeded'
  | 'ThrottlingException'
  | 'SerializationException'
  | 'UnknownOperationException'
  | 'ExpiredIteratorException'
  | 'TrimmedDataAccessException'
  | 'LimitExceededException'
  | 'InternalServerError';

/** Shorthand for the most common error: a request DynamoDB rejects before touching data. */
export function validation(message: string): DynamoDbError {
  return new DynamoDbError('ValidationException', message);
}
