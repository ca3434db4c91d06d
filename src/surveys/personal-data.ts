import { freezeMunicipalityRates } from './rates.js';
import { responsesRepository } from './responses.repository.js';
import { roundsRepository } from './rounds.repository.js';

/**
 * What the surveys keep about a participant, for the personal-data service (participants sit below surveys,
 * so the container hands this in): the rounds they took part in, erasing that, freezing the response rates
 * before people go, and which municipalities' lists are due to be purged.
 */
export const surveyPersonalData = {
  exportFor: responsesRepository.exportFor,
  eraseForParticipants: responsesRepository.eraseForParticipants,
  freezeMunicipalityRates,
  finalRoundClosedBy: roundsRepository.finalRoundClosedBy,
};
