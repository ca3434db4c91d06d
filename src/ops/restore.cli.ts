import { ConfigError, loadConfig } from '../config.js';
import { BackupError, restoreDatabase } from './backup.js';
import { outboxRepository } from '../mail/outbox.repository.js';

/** `npm run restore -- FILE [--force]`: restores a Parat backup into the configured, empty database. */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const files = args.filter((a) => a !== '--force');
  if (files.length !== 1) {
    console.error(
      'Brug: npm run restore -- FIL [--force]   (--force erstatter en database, der ikke er tom)',
    );
    process.exit(2);
  }
  const config = loadConfig();
  // Messages an instance had claimed when the backup was taken: that instance is gone, so they are due again now.
  const manifest = await restoreDatabase({
    database: config.database,
    file: files[0]!,
    force,
    afterRestore: async (db) => void (await outboxRepository.releaseAllClaims(db)),
  });
  console.log(
    `Gendannet fra ${manifest.file} (taget ${manifest.createdAt}, ${manifest.migrations.length} migreringer). Start Parat igen.`,
  );
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof BackupError) console.error(err.message);
  else console.error('Gendannelsen mislykkedes:', err instanceof Error ? err.message : err);
  process.exit(1);
});
