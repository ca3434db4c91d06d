// What other features may use from municipalities; everything else in this folder is internal.

/** The municipalities table's owner: reads, the roll-out plan, and builders other repositories join against. */
export { municipalitiesRepository, type Municipality } from './municipalities.repository.js';
/** The municipalities' use cases (listing, the administrator's CVR numbers). */
export type { MunicipalitiesService } from './municipalities.service.js';
/** KOMBIT's wave and go-live CSV, and the Danish dates it is written in. */
export { parseDanishDate, parsePlanCsv, type PlanProblem, type PlanRow } from './plan-import.js';
