// What other features may use from personal links; everything else in this folder is internal.

/** Issuing, resolving and revoking personal links, and where an opened link leads. */
export {
  hashToken,
  SURVEY_LINK_VALID_DAYS,
  type IssuedLink,
  type LinkPurpose,
  type LinkRound,
  type LinkService,
  type ResolvedLink,
} from './links.service.js';
/** Who the participant behind a session is (personal link or SAML user). */
export {
  type AccessSession,
  type ParticipantAccess,
  type ParticipantAccessService,
} from './participant-access.js';
/** The personal_links table's export and erasure, for the personal-data service. */
export { linksRepository } from './links.repository.js';
