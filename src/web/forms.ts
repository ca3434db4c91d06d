import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ValidationError } from '../shared/errors.js';
import { handle } from './http.js';

type Handler = (req: Request, res: Response, next: NextFunction) => Promise<unknown>;
type Rerender = (req: Request, res: Response, err: ValidationError) => Promise<unknown> | unknown;

/**
 * A form's POST handler: when the action throws a ValidationError, the form is shown again with
 * status 422 by `rerender` (its errors and the values typed); every other error goes on to the error page.
 */
export function formHandler(action: Handler, rerender: Rerender): RequestHandler {
  return handle(async (req, res, next) => {
    try {
      await action(req, res, next);
    } catch (err) {
      if (!(err instanceof ValidationError) || res.headersSent) throw err;
      res.status(422);
      await rerender(req, res, err);
    }
  });
}
