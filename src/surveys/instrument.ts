import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { contentDir } from '../shared/paths.js';
import { ELEMENTS, ELEMENT_LABELS, type ElementKey } from './groups.js';
import type { ItemElementMap } from './scoring.js';

const itemSchema = z.object({
  id: z.string().regex(/^[a-z0-9_-]+$/, 'id må kun have små bogstaver, tal, - og _'),
  text: z.string().min(10),
});

const instrumentSchema = z.object({
  version: z.number().int().min(1),
  title: z.string().min(1),
  intro: z.string().min(1),
  scale: z.object({
    '1': z.string(),
    '2': z.string(),
    '3': z.string(),
    '4': z.string(),
    '5': z.string(),
    dontKnow: z.string(),
  }),
  elements: z
    .array(
      z.object({
        key: z.enum(ELEMENTS),
        items: z.array(itemSchema).min(4, 'mindst fire udsagn pr. element'),
      }),
    )
    .length(ELEMENTS.length, `skal have de ${ELEMENTS.length} elementer`)
    .refine((els) => els.every((e, i) => e.key === ELEMENTS[i]), {
      message: `elementerne skal stå i rækkefølgen ${ELEMENTS.join(', ')}`,
    }),
  freeText: z
    .object({ id: z.string().min(1), label: z.string().min(1), hint: z.string().optional() })
    .optional(),
});

export type Instrument = z.infer<typeof instrumentSchema> & { file: string };
export type InstrumentElement = Instrument['elements'][number] & { label: string };

/** Content that failed validation; the message names file and field. */
export class ContentError extends Error {}

/** Validates one instrument; throws ContentError naming file and field. */
export function parseInstrument(json: unknown, file: string): Instrument {
  const result = instrumentSchema.safeParse(json);
  if (!result.success) {
    const details = result.error.issues.map((i) => `${file}: ${i.path.join('.') || '(rod)'}: ${i.message}`);
    throw new ContentError(details.join('\n'));
  }
  const ids = result.data.elements.flatMap((e) => e.items.map((i) => i.id));
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new ContentError(`${file}: elements: udsagns-id "${dup}" findes flere gange`);
  return { ...result.data, file };
}

/** Loads every instrument-v*.json under content/surveys; the highest version is current. */
export function loadInstruments(dir = path.join(contentDir, 'surveys')): Map<number, Instrument> {
  const map = new Map<number, Instrument>();
  for (const name of fs
    .readdirSync(dir)
    .filter((f) => /^instrument-v\d+\.json$/.test(f))
    .sort()) {
    const file = path.join(dir, name);
    const rel = path.relative(path.dirname(contentDir), file);
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ContentError(`${rel}: ugyldig JSON (${(err as Error).message})`);
    }
    const inst = parseInstrument(json, rel);
    if (map.has(inst.version)) throw new ContentError(`${rel}: version: ${inst.version} findes allerede`);
    map.set(inst.version, inst);
  }
  if (!map.size) throw new ContentError(`${dir}: ingen instrument-v*.json`);
  return map;
}

export function currentVersion(instruments: Map<number, Instrument>): number {
  return Math.max(...instruments.keys());
}

export function itemElementMap(inst: Instrument): ItemElementMap {
  const map: ItemElementMap = {};
  for (const el of inst.elements) for (const item of el.items) map[item.id] = el.key as ElementKey;
  return map;
}

export function elementsOf(inst: Instrument): InstrumentElement[] {
  return inst.elements.map((e) => ({ ...e, label: ELEMENT_LABELS[e.key as ElementKey] }));
}
