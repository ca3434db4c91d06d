// What other features may use from auth; everything else in this folder is internal.

/** Every role decision (who may see or change what), the start page and the main menu. */
export { policy, startPageFor, navigationFor, LEARNER_ROLES, type NavItem } from './policy.js';
/** The roles, their Danish labels and the session's user. */
export {
  ALL_ROLES,
  MUNICIPAL_ROLES,
  NATIONAL_ROLES,
  RESPONDENT_ROLES,
  ROLE_LABELS,
  isRole,
  type Role,
  type SessionUser,
} from './roles.js';
/** The users table's owner: its query builders are what other repositories join against. */
export { usersRepository } from './users.repository.js';
