import { z } from 'zod';
import { MUNICIPAL_ROLES, NATIONAL_ROLES } from '../../roles.js';

/** The query of the SP's HTTP-Redirect AuthnRequest. */
export const ssoRequestSchema = z.object({
  SAMLRequest: z.string().min(1),
  RelayState: z.string().optional(),
});

/** The persona form: who the development IdP says logged in. */
export const personaSchema = z.object({
  requestId: z.string().min(1).max(200),
  relayState: z.string().max(500).optional().default(''),
  municipality: z.coerce.number().int().optional(),
  roles: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]))
    .pipe(z.array(z.enum([...MUNICIPAL_ROLES, ...NATIONAL_ROLES])).min(1, 'Vælg mindst én rolle')),
  firstName: z.string().trim().min(1, 'Skriv et fornavn').max(100),
  lastName: z.string().trim().min(1, 'Skriv et efternavn').max(100),
  email: z.email('Skriv en gyldig e-mailadresse').max(320),
});
/** A filled-in persona form. */
export type PersonaInput = z.infer<typeof personaSchema>;

/** One-click personas on the development IdP's page. */
export const PRESETS = [
  {
    label: 'Projektleder, Aarhus Kommune',
    municipality: 751,
    roles: ['projektleder'],
    firstName: 'Mette',
    lastName: 'Projektleder',
    email: 'mette.projektleder@aarhus.example.dk',
  },
  {
    label: 'Sagsbehandler og superbruger, København',
    municipality: 101,
    roles: ['sagsbehandler-ydelsescenter', 'superbruger'],
    firstName: 'Anette',
    lastName: 'Sagsbehandler',
    email: 'anette.sagsbehandler@kk.example.dk',
  },
  {
    label: 'Leder af ydelsescentret, Odense',
    municipality: 461,
    roles: ['leder-ydelsescenter'],
    firstName: 'Lars',
    lastName: 'Leder',
    email: 'lars.leder@odense.example.dk',
  },
  {
    label: 'KOMBIT-konsulent',
    municipality: undefined,
    roles: ['kombit'],
    firstName: 'Karen',
    lastName: 'Konsulent',
    email: 'karen.konsulent@kombit.example.dk',
  },
  {
    label: 'Administrator',
    municipality: undefined,
    roles: ['administrator'],
    firstName: 'Adam',
    lastName: 'Administrator',
    email: 'adam.admin@kombit.example.dk',
  },
];
