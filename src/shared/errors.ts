/** Base of every expected error; the error handler maps `status` to a Danish page. */
export class AppError extends Error {
  constructor(
    public readonly code: string,
    message: string,
    public readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class NotFound extends AppError {
  constructor(message = 'Siden findes ikke.') {
    super('not_found', message, 404);
  }
}

export class Forbidden extends AppError {
  constructor(message = 'Du har ikke adgang til denne side.') {
    super('forbidden', message, 403);
  }
}

export class Unauthenticated extends AppError {
  constructor(message = 'Du skal logge ind for at se denne side.') {
    super('unauthenticated', message, 401);
  }
}

/** Input that failed validation; `fields` maps field name to a Danish message. */
export class ValidationError extends AppError {
  constructor(
    message: string,
    public readonly fields: Record<string, string> = {},
  ) {
    super('validation', message, 422);
  }
}

/** An import refused as a whole, with the line-numbered reasons. */
export class ImportRejected extends ValidationError {
  constructor(
    message: string,
    public readonly problems: Array<{ line: number; reason: string }>,
  ) {
    super(message);
  }
}

export class Conflict extends AppError {
  constructor(message: string) {
    super('conflict', message, 409);
  }
}

export class TooManyRequests extends AppError {
  constructor(message = 'For mange forsøg. Vent lidt, og prøv igen.') {
    super('too_many_requests', message, 429);
  }
}
