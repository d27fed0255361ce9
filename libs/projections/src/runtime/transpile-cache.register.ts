import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * Loaded (`-r`) after ts-node in a worker thread started from the TypeScript sources (startWorker, in specs and
 * ts-node runs): keeps what ts-node transpiled on disk, keyed by the file's path, size and time of change, so the
 * next worker loads its modules in about half a second instead of transpiling them all again (about 5 s for the
 * projection thread's modules on a loaded 2-core machine, paid at every start of an app in the specs). Compiled
 * code (dist) never loads this.
 */
type Compile = (code: string, filename: string) => unknown;
type Loader = (module: NodeJS.Module & { _compile: Compile }, filename: string) => void;

const folder = join(tmpdir(), 'carepath-transpiled');
mkdirSync(folder, { recursive: true });
// The hook ts-node itself installs: Node offers no other for a require() of TypeScript.
const extensions = require.extensions as unknown as Record<string, Loader>;
const transpile = extensions['.ts'];
if (transpile) {
  extensions['.ts'] = (module, filename) => {
    const { size, mtimeMs } = statSync(filename);
    const key = createHash('sha1').update(`${filename}|${size}|${mtimeMs}`).digest('hex');
    const file = join(folder, `${key}.js`);
    let code: string | null = null;
    try {
      code = readFileSync(file, 'utf8');
    } catch {
      // Not transpiled yet.
    }
    if (code !== null) {
      module._compile(code, filename);
      return;
    }
    const compile = module._compile.bind(module);
    module._compile = (output, name) => {
      // Written aside and renamed: a worker of another process never reads half a file.
      const partial = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
      writeFileSync(partial, output);
      renameSync(partial, file);
      return compile(output, name);
    };
    transpile(module, filename);
  };
}
