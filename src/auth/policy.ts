import { Forbidden } from '../shared/errors.js';
import type { SessionUser } from './roles.js';

/** The one place that says who may see or change what. */
export const policy = {
  /** Project leaders and heads of the benefits centre read their own municipality only. */
  municipalityReader(user: SessionUser): number {
    if (
      (user.roles.includes('projektleder') || user.roles.includes('leder-ydelsescenter')) &&
      user.municipalityCode
    )
      return user.municipalityCode;
    throw new Forbidden();
  },
  /** Only project leaders manage participants, links and courses, in their own municipality. */
  municipalityManager(user: SessionUser): number {
    if (user.roles.includes('projektleder') && user.municipalityCode) return user.municipalityCode;
    throw new Forbidden('Kun kommunens KSD-projektleder kan gøre dette.');
  },
  /** KOMBIT sees every municipality's aggregates and manages waves, go-live and rounds. */
  national(user: SessionUser): void {
    if (!user.roles.includes('kombit')) throw new Forbidden();
  },
  /** May read the free-text comments of a municipality-round (project leader only). */
  canReadComments(user: SessionUser, municipalityCode: number): boolean {
    return user.roles.includes('projektleder') && user.municipalityCode === municipalityCode;
  },
};
