// What other features may use from admin: nothing yet; app.ts mounts adminRoutes and container.ts builds
// the audit-log service directly.
export type { AuditLogService } from './audit-log.service.js';
