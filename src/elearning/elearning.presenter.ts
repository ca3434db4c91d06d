import type { ElearningContent, Huskeseddel, Module } from './content.loader.js';
import type { Missing, ModuleProgress, ModuleState } from './elearning.service.js';
import { huskeseddelPage, MODULE_STATUS_LABELS, moduleExercises, TOOLBOX_SLUG } from './elearning.service.js';

/** The overview's module rows and what is left. */
export function presentProgress(progress: ModuleProgress[]) {
  const rows = progress.map((p) => ({
    slug: p.module.slug,
    title: p.module.title,
    summary: p.module.summary,
    minutes: p.module.minutes,
    superuser: p.module.audience === 'superuser',
    status: p.status,
    statusLabel: MODULE_STATUS_LABELS[p.status],
    timesCompleted: p.timesCompleted,
    repeated: p.repeated,
    missingText: p.status === 'gennemfoert' ? '' : missingText(p.missing),
  }));
  return {
    rows,
    left: rows.filter((r) => r.status !== 'gennemfoert'),
    completed: rows.filter((r) => r.status === 'gennemfoert').length,
  };
}

/** Splits a job aid's HTML after its title, so the shortcut table can sit between title and steps. */
export function splitAfterTitle(h: Huskeseddel): { title: string; body: string } {
  const i = h.html.indexOf('</h1>');
  if (i < 0)
    return {
      title: `<h1>${h.title.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</h1>`,
      body: h.html,
    };
  return { title: h.html.slice(0, i + 5), body: h.html.slice(i + 5) };
}

/** Shortcut "Alt+O" as separate keys for <kbd>. */
export function keysOf(shortcut: string): string[] {
  return shortcut.split('+').map((k) => k.trim());
}

/** "a", "a og b", "a, b og c". */
export function danishList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} og ${items[items.length - 1]}`;
}

/** What is missing, as what to do: "læse modulet, se 3 huskesedler og løse øvelsen »…«"; empty when nothing is. */
export function missingItems(missing: Missing): string {
  const parts: string[] = [];
  if (missing.pages.some((p) => p.kind === 'modul')) parts.push('læse modulet');
  const aids = missing.pages.filter((p) => p.kind === 'huskeseddel');
  if (aids.length === 1) parts.push(`se huskesedlen »${aids[0]!.title}«`);
  else if (aids.length > 1) parts.push(`se ${aids.length} huskesedler`);
  if (missing.exercises.length === 1) parts.push(`løse øvelsen »${missing.exercises[0]!.title}«`);
  else if (missing.exercises.length > 1) {
    parts.push(`løse øvelserne ${danishList(missing.exercises.map((e) => `»${e.title}«`))}`);
  }
  return danishList(parts);
}

/** A module's state beyond its status word: what the learner has left, or that it is ready to be marked. */
export function missingText(missing: Missing): string {
  const items = missingItems(missing);
  return items ? `du mangler at ${items}` : 'klar til at blive markeret som gennemført';
}

/** The module page's data: its status, objectives, exercises (with times solved) and, for the toolbox, the job aids seen. */
export function presentModule(content: ElearningContent, module: Module, state: ModuleState) {
  return {
    status: state.progress,
    objectives: module.objectives.map((id) => content.objective(id)!).filter(Boolean),
    exercises: moduleExercises(content, module).map((e) => ({
      ...e,
      times: state.exercisesDone.get(e.id) ?? 0,
    })),
    huskesedler:
      module.slug === TOOLBOX_SLUG
        ? content.huskesedler.map((h) => ({
            slug: h.slug,
            title: h.title,
            seen: state.pagesSeen.has(huskeseddelPage(h.slug)),
          }))
        : [],
    missingItems,
  };
}
