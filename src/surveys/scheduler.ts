import { safeError, type Logger } from '../shared/logger.js';
import type { RoundsService } from './rounds.service.js';
import type { PersonalDataService } from '../participants/index.js';
import { isDatabaseUnavailable } from '../db/errors.js';

/** Runs the rounds tick on an interval; every instance may run it, the tick is idempotent. */
export function startScheduler(
  surveys: { rounds: Pick<RoundsService, 'tick'>; participants: Pick<PersonalDataService, 'purgeDue'> },
  logger: Logger,
  intervalSeconds: number,
  onClosed?: (roundId: number) => Promise<void>,
  /** Told how each tick ended, for metrics and readiness. */
  onTick?: (outcome: 'ok' | 'error') => void,
): () => void {
  if (intervalSeconds <= 0) return () => undefined;
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const events = await surveys.rounds.tick();
      logger.debug({ events: events.length }, 'scheduler tick ran');
      if (events.length)
        logger.info({ events: events.map((e) => `${e.type}:${e.roundId}`) }, 'scheduler tick');
      // A closed round's published aggregate is computed once now, not on the first dashboard view.
      for (const e of events) if (e.type === 'closed' && onClosed) await onClosed(e.roundId);
      const purged = await surveys.participants.purgeDue();
      if (purged.length) logger.info({ municipalities: purged }, 'participant lists purged');
      onTick?.('ok');
    } catch (err) {
      onTick?.('error');
      // The database being briefly away (a restart) is expected now and then; the next tick picks up.
      if (isDatabaseUnavailable(err))
        logger.warn({ err: safeError(err) }, 'scheduler tick skipped: database unavailable');
      else logger.error({ err: safeError(err) }, 'scheduler tick failed');
    } finally {
      running = false;
    }
  };
  void run();
  const timer = setInterval(() => void run(), intervalSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
