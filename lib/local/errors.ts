import { SagaCoreError } from '../core/errors.js';

/** Errors of the embedded local cloud (DynamoDB Local, bus, queues, poller). */
export class LocalCloudError extends SagaCoreError {
  constructor(message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.name = 'LocalCloudError';
  }
}
