import path from 'node:path';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../config.js';
import { BackupError, backupDatabase } from './backup.js';

/** `npm run backup`: a consistent copy of the running database, named by the time; the newest BACKUP_KEEP are kept. */
async function main(): Promise<void> {
  const config = loadConfig();
  const env = z
    .object({
      BACKUP_DIR: z.string().min(1).optional(),
      BACKUP_KEEP: z.coerce.number().int().min(1, 'BACKUP_KEEP: skal være mindst 1').default(14),
    })
    .parse(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v)));
  const dir = path.resolve(env.BACKUP_DIR ?? path.join(config.varDir, 'backups'));
  const { file, manifest } = await backupDatabase({ database: config.database, dir, keep: env.BACKUP_KEEP });
  console.log(
    `Sikkerhedskopi skrevet: ${file} (${manifest.bytes} byte, ${manifest.migrations.length} migreringer)`,
  );
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof BackupError || err instanceof z.ZodError)
    console.error(err.message);
  else console.error('Sikkerhedskopien mislykkedes:', err instanceof Error ? err.message : err);
  process.exit(1);
});
