import { Forbidden } from '../shared/errors.js';
import type { Role, SessionUser } from './roles.js';

/** Anything that carries roles: a session user, or a learner's roles from the user system. */
type WithRoles = { roles: readonly string[] };

const hasAny = (user: WithRoles, roles: readonly Role[]): boolean =>
  user.roles.some((r) => (roles as readonly string[]).includes(r));

/** Roles that read their own municipality's overview and dashboard. */
const MUNICIPALITY_READER_ROLES: readonly Role[] = ['projektleder', 'leder-ydelsescenter'];

/** SAML roles that take the e-learning (PRODUCT.md "People and roles"). */
export const LEARNER_ROLES: readonly Role[] = [
  'sagsbehandler-ydelsescenter',
  'sagsbehandler-udenfor',
  'informationssoegende',
  'superbruger',
];

/** The one place that says who may see or change what. */
export const policy = {
  /** Project leaders and heads of the benefits centre read their own municipality only. */
  municipalityReader(user: SessionUser): number {
    if (hasAny(user, MUNICIPALITY_READER_ROLES) && user.municipalityCode) return user.municipalityCode;
    throw new Forbidden();
  },
  /** Only project leaders manage participants, links and courses, in their own municipality. */
  municipalityManager(user: SessionUser): number {
    if (hasAny(user, ['projektleder']) && user.municipalityCode) return user.municipalityCode;
    throw new Forbidden('Kun kommunens KSD-projektleder kan gøre dette.');
  },
  /** Whether the user manages this municipality (as municipalityManager, without throwing). */
  canManageMunicipality(user: SessionUser, municipalityCode: number): boolean {
    return hasAny(user, ['projektleder']) && user.municipalityCode === municipalityCode;
  },
  /** KOMBIT sees every municipality's aggregates and manages waves, go-live and rounds. */
  national(user: SessionUser): void {
    if (!hasAny(user, ['kombit'])) throw new Forbidden();
  },
  /** May read the free-text comments of a municipality-round (project leader only). */
  canReadComments(user: SessionUser, municipalityCode: number): boolean {
    return hasAny(user, ['projektleder']) && user.municipalityCode === municipalityCode;
  },
  /** Takes the e-learning by role, without a participant row. */
  takesElearning(user: WithRoles): boolean {
    return hasAny(user, LEARNER_ROLES);
  },
  /** A superuser by role (a participant may also be flagged as one). */
  isSuperuser(user: WithRoles): boolean {
    return hasAny(user, ['superbruger']);
  },
  /** A caseworker in the benefits centre by role. */
  isBenefitsCaseworker(user: WithRoles): boolean {
    return hasAny(user, ['sagsbehandler-ydelsescenter']);
  },
};

/** Where a user lands after login: the most specific start page for their roles. */
export function startPageFor(user: WithRoles): string {
  if (hasAny(user, ['kombit'])) return '/national';
  if (hasAny(user, ['administrator'])) return '/admin';
  if (hasAny(user, MUNICIPALITY_READER_ROLES)) return '/kommune';
  return '/mine-opgaver';
}

/** One link of the main menu; a section is current on every page under its address. */
export type NavItem = { href: string; label: string; section: boolean };

/** The main menu for a user's roles, in display order; empty when nobody is logged in. */
export function navigationFor(user: WithRoles | null): NavItem[] {
  if (!user) return [];
  const page = (href: string, label: string): NavItem => ({ href, label, section: false });
  const items = [page('/mine-opgaver', 'Mine opgaver')];
  if (policy.takesElearning(user)) items.push({ href: '/e-laering', label: 'E-læring', section: true });
  if (hasAny(user, MUNICIPALITY_READER_ROLES))
    items.push(page('/kommune', 'Kommune'), page('/kommune/dashboard', 'Dashboard'));
  if (hasAny(user, ['kombit'])) items.push(page('/national', 'National oversigt'));
  if (hasAny(user, ['administrator'])) items.push(page('/admin', 'Administration'));
  return items;
}
