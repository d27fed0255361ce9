import preact from '@preact/preset-vite';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is served by the API at /console (apps/api/src/console/console-static.ts): no CDN, every asset in the
// build. The output folder can be moved (CONSOLE_OUT_DIR) so the browser specs build their own copy.
const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: '/console/',
  plugins: [preact()],
  build: {
    outDir: process.env.CONSOLE_OUT_DIR ?? resolve(here, '../../dist/console'),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
    // The dashboards' chunk is ECharts (about 190 kB gzipped, loaded with the dashboards only); bench:console measures it.
    chunkSizeWarningLimit: 800,
  },
  logLevel: 'warn',
});
