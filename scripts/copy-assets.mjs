// Copies Chart.js from node_modules into public/vendor, so the app serves it itself (no CDN).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const chartDir = path.dirname(require.resolve('chart.js/package.json'));
const target = path.resolve('public/vendor');
fs.mkdirSync(target, { recursive: true });
fs.copyFileSync(path.join(chartDir, 'dist/chart.umd.min.js'), path.join(target, 'chart.umd.min.js'));
