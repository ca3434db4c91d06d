// Copies Chart.js from node_modules into public/vendor, so the app serves it itself (no CDN).
import fs from 'node:fs';
import path from 'node:path';

const source = path.resolve('node_modules/chart.js/dist/chart.umd.min.js');
const target = path.resolve('public/vendor');
fs.mkdirSync(target, { recursive: true });
fs.copyFileSync(source, path.join(target, 'chart.umd.min.js'));
