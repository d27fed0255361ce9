/*
 * npm run bench:report: copies each saved result's table (bench/results/<name>.json) into the documents that quote
 * it, between `<!-- bench:<name> -->` and `<!-- /bench:<name> -->`, so no figure in a doc is typed by hand.
 * With --check it changes nothing and exits 1 when a document is out of date with the results.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const RESULTS = 'bench/results';
const DOCUMENTS = ['docs/benchmarks.md', 'README.md'];

function table(name: string): string | null {
  const file = join(RESULTS, `${name}.json`);
  if (!existsSync(file)) return null;
  const { markdown } = JSON.parse(readFileSync(file, 'utf8')) as { markdown?: string };
  return markdown ?? null;
}

function fillDocument(text: string, lookup: (name: string) => string | null): string {
  return text.replace(/<!-- bench:([a-z-]+) -->\n[\s\S]*?<!-- \/bench:\1 -->/g, (block, name: string) => {
    const markdown = lookup(name);
    return markdown === null ? block : `<!-- bench:${name} -->\n${markdown}\n<!-- /bench:${name} -->`;
  });
}

function main(): number {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const doc of DOCUMENTS) {
    const before = readFileSync(doc, 'utf8');
    const after = fillDocument(before, table);
    if (after === before) continue;
    if (check) {
      stale++;
      console.error(`${doc} does not quote the latest bench/results: run npm run bench:report`);
    } else {
      writeFileSync(doc, after);
      console.log(`updated ${doc}`);
    }
  }
  return stale > 0 ? 1 : 0;
}

process.exit(main());
