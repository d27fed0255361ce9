/*
 * npm run bench:console (issue 21): the coordinator console's weight on the wire. A fresh `vite build` of
 * apps/console into a temporary folder, every file gzipped at level 9 as a server would send it: what the first
 * screen needs (index.html, its entry script and its style sheet, the scripts they import at once) and what the
 * dashboards add (the ECharts chunk, loaded when they are opened). The baseline is the same files uncompressed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fmt, log, ratio, saveResult } from './bench-support';

interface Weight {
  readonly files: number;
  readonly bytes: number;
  readonly gzipBytes: number;
}

function weigh(dir: string, files: readonly string[]): Weight {
  let bytes = 0;
  let gzipBytes = 0;
  for (const file of files) {
    const content = readFileSync(join(dir, file));
    bytes += content.length;
    gzipBytes += gzipSync(content, { level: 9 }).length;
  }
  return { files: files.length, bytes, gzipBytes };
}

/** The files a first visit loads: the page, and what it names with src, href or a static import, transitively. */
function firstLoad(dir: string): string[] {
  const seen = new Set<string>(['index.html']);
  const queue = ['index.html'];
  while (queue.length > 0) {
    const file = queue.shift()!;
    const text = readFileSync(join(dir, file), 'utf8');
    const named = [
      ...[...text.matchAll(/(?:src|href)="\/console\/([^"]+)"/g)].map((m) => m[1]!),
      // Static imports between chunks (`import{…}from"./x.js"`); dynamic import("./x.js") is left for later.
      ...[...text.matchAll(/(?:^|[;}\s])import\s*[^("']*?from\s*["']\.\/([^"']+)["']/g)].map(
        (m) => `assets/${m[1]!}`,
      ),
    ];
    for (const name of named) {
      if (!seen.has(name)) {
        seen.add(name);
        queue.push(name);
      }
    }
  }
  return [...seen];
}

function main(): void {
  const out = mkdtempSync(join(tmpdir(), 'carepath-console-bench-'));
  try {
    log('building apps/console with vite');
    execFileSync(
      process.execPath,
      ['node_modules/vite/bin/vite.js', 'build', '--config', 'apps/console/vite.config.mjs'],
      {
        env: { ...process.env, CONSOLE_OUT_DIR: out },
        stdio: 'inherit',
      },
    );
    const all = ['index.html', ...readdirSync(join(out, 'assets')).map((f) => `assets/${f}`)];
    const first = firstLoad(out);
    const later = all.filter((f) => !first.includes(f));
    const figures = { firstLoad: weigh(out, first), later: weigh(out, later), total: weigh(out, all) };
    const row = (what: string, w: Weight) =>
      `| ${what} | ${w.files} | ${fmt(w.gzipBytes / 1024)} kB | ${fmt(w.bytes / 1024)} kB | ${ratio(w.gzipBytes, w.bytes)} |`;
    const table = [
      '| files | count | gzipped (level 9) | baseline: uncompressed, same build | ratio |',
      '|---|---|---|---|---|',
      row('first screen: index.html, entry script, style sheet', figures.firstLoad),
      row('loaded with the dashboards: ECharts and the charts', figures.later),
      row('the whole console', figures.total),
    ].join('\n');
    saveResult('console', figures, table);
    log(
      `first screen ${fmt(figures.firstLoad.gzipBytes / 1024)} kB gzipped; everything ${fmt(figures.total.gzipBytes / 1024)} kB`,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

main();
