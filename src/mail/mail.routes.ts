import { Router } from 'express';
import type { AppDeps } from '../app.js';

/** Development mailbox and the administrator's mail log. */
export function mailRoutes(_deps: AppDeps): Router {
  return Router();
}
