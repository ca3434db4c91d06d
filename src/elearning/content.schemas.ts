import { z } from 'zod';

/** Shapes of the files under content/elearning; types are inferred from them. */

const id = z.string().regex(/^[A-Za-z0-9_-]+$/, 'må kun indeholde bogstaver, tal, - og _');
const text = z.string().trim().min(1, 'må ikke være tom');

export const objectivesSchema = z
  .array(
    z.strictObject({
      id: z.string().regex(/^LM\d{2}$/, 'skal have formen LM01'),
      text,
      module: id,
      superuserOnly: z.boolean().optional().default(false),
    }),
  )
  .min(1, 'mindst ét læringsmål');

export const moduleFrontMatterSchema = z.strictObject({
  slug: id,
  title: text,
  order: z.number().int().min(1),
  objectives: z.array(z.string()).min(1, 'mindst ét læringsmål'),
  audience: z.enum(['all', 'superuser']),
  minutes: z.number().int().min(1),
  summary: text,
});

export const huskeseddelFrontMatterSchema = z.strictObject({
  slug: id,
  title: text,
  objectives: z.array(z.string()).min(1, 'mindst ét læringsmål'),
  shortcuts: z.array(z.strictObject({ keys: text, action: text })).default([]),
});

const exerciseOption = z.strictObject({ id, label: text, shortcut: text });

export const exerciseSchema = z
  .strictObject({
    id,
    title: text,
    module: id,
    objectives: z.array(z.string()).min(1),
    problem: text,
    principle: text,
    procedure: z.array(text).min(1),
    screen: z.strictObject({
      title: text,
      fields: z.array(z.strictObject({ label: text, value: text })).min(1),
    }),
    steps: z
      .array(
        z.strictObject({
          id,
          prompt: text,
          options: z.array(exerciseOption).min(2, 'mindst to svarmuligheder'),
          correct: id,
          feedback: z.record(z.string(), text),
          success: text,
        }),
      )
      .min(1),
  })
  .superRefine((ex, ctx) => {
    ex.steps.forEach((step, i) => {
      const ids = step.options.map((o) => o.id);
      if (!ids.includes(step.correct)) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'correct'],
          message: `"${step.correct}" er ikke en af svarmulighederne`,
        });
      }
      for (const o of ids) {
        if (o !== step.correct && !step.feedback[o]) {
          ctx.addIssue({
            code: 'custom',
            path: ['steps', i, 'feedback', o],
            message: 'mangler feedback til den forkerte svarmulighed',
          });
        }
      }
      if (new Set(ids).size !== ids.length)
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'options'],
          message: 'svarmulighedernes id skal være unikke',
        });
    });
  });

export const questionsSchema = z.array(
  z
    .strictObject({
      id,
      objective: z.string().regex(/^LM\d{2}$/, 'skal have formen LM01'),
      type: z.enum(['single', 'multiple']),
      text,
      options: z.array(z.strictObject({ id, text, correct: z.boolean() })).min(2, 'mindst to svarmuligheder'),
      explanation: text.optional(),
    })
    .superRefine((q, ctx) => {
      const correct = q.options.filter((o) => o.correct).length;
      if (q.type === 'single' && correct !== 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['options'],
          message: `et single choice-spørgsmål skal have præcis ét rigtigt svar (har ${correct})`,
        });
      }
      if (q.type === 'multiple' && correct < 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['options'],
          message: 'et multiple choice-spørgsmål skal have mindst ét rigtigt svar',
        });
      }
      const ids = q.options.map((o) => o.id);
      if (new Set(ids).size !== ids.length)
        ctx.addIssue({ code: 'custom', path: ['options'], message: 'svarmulighedernes id skal være unikke' });
    }),
);

const evaluationForm = z.strictObject({
  title: text,
  items: z.array(z.strictObject({ id, kind: z.enum(['satisfaction', 'outcome']), text })).min(1),
  freeText: z.strictObject({ id, label: text }),
});

export const evaluationsSchema = z.strictObject({ elearning: evaluationForm, classroom: evaluationForm });

export type Objective = z.infer<typeof objectivesSchema>[number];
export type ModuleFrontMatter = z.infer<typeof moduleFrontMatterSchema>;
export type HuskeseddelFrontMatter = z.infer<typeof huskeseddelFrontMatterSchema>;
export type Exercise = z.infer<typeof exerciseSchema>;
export type ExerciseStep = Exercise['steps'][number];
export type Question = z.infer<typeof questionsSchema>[number];
export type EvaluationForm = z.infer<typeof evaluationForm>;
export type EvaluationKind = 'elearning' | 'classroom';
