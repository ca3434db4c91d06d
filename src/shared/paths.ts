import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + start);
    dir = parent;
  }
  return dir;
}

/** The project root, whether running from src/ (tsx, vitest) or dist/src/ (compiled). */
export const projectRoot = findRoot(path.dirname(fileURLToPath(import.meta.url)));
export const viewsDir = path.join(projectRoot, 'views');
export const publicDir = path.join(projectRoot, 'public');
export const contentDir = path.join(projectRoot, 'content');
/** Where the e-learning content lives. */
export const ELEARNING_CONTENT_DIR = path.join(contentDir, 'elearning');
