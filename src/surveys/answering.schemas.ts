import { z } from 'zod';

/** The buttons of a survey page. */
export const ANSWER_ACTIONS = ['naeste', 'forrige', 'gem', 'indsend'] as const;
export type AnswerAction = (typeof ANSWER_ACTIONS)[number];

/** One item's answer as the form's radios send it: 1–5, or 0 for "ved ikke". */
export type AnswerValue = 0 | 1 | 2 | 3 | 4 | 5;

/** A survey page as posted: the button, each field's answer (null when not a valid one) and the comment. */
export type AnswerForm = {
  action: AnswerAction;
  /** Every posted field other than the button, the comment and the CSRF token, keyed by item id. */
  answers: Record<string, AnswerValue | null>;
  /** The trimmed comment when one was posted as text. */
  comment?: string;
};

// Exactly what the radios send: "1"–"5" or "vedikke" (not "03", " 3", "0x3" or "3.0"); anything else is null.
const answerValue = z
  .union([
    z.literal('vedikke').transform(() => 0 as const),
    z
      .string()
      .regex(/^[1-5]$/)
      .transform((v) => Number(v) as AnswerValue),
  ])
  .nullable()
  .catch(null);

// The fields of the page that are not an item: the CSRF token, the button and the comment.
const NOT_ITEMS = new Set(['_csrf', 'handling', 'comment']);

// A missing or odd button (an array, say) moves on like "Næste", as the hidden default button does.
const action = z.enum(ANSWER_ACTIONS).catch('naeste');

/** Parses a posted survey page; it never fails, the service judges the answers against the page's items. */
export const answerFormSchema = z.unknown().transform((raw): AnswerForm => {
  // Taken apart by hand rather than by z.record, so that every own key of the body reaches the service as is.
  const body = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const items = Object.entries(body).filter(([key]) => !NOT_ITEMS.has(key));
  return {
    action: action.parse(body.handling),
    answers: Object.fromEntries(items.map(([id, v]) => [id, answerValue.parse(v)])),
    ...(typeof body.comment === 'string' ? { comment: body.comment.trim() } : {}),
  };
});
