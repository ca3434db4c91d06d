import type { Db } from '../db/knex.js';
import { certificatesRepository, type Certificate } from './certificates.repository.js';
import type { Learner } from './learners.js';

/** Reading certificates: the learner's own and the public check (they are issued by the quiz service on a pass). */
export function createCertificatesService({ db }: { db: Db }) {
  return {
    /** The learner's certificate, or null before they pass. */
    forLearner: (learner: Pick<Learner, 'id'>): Promise<Certificate | null> =>
      certificatesRepository.forLearner(db, learner.id),
    /** Public verification of a normalised code: name, municipality and date only. */
    verify: (code: string) => certificatesRepository.verify(db, code),
  };
}

/** The certificate reads the routes use. */
export type CertificatesService = ReturnType<typeof createCertificatesService>;
