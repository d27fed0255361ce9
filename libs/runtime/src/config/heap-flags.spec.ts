import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HEAP_FLAGS, heapFlagsToSet, STARTUP_FLAGS } from './heap-flags';

const ROOT = join(__dirname, '../../../..');

describe('the API heap flags', () => {
  it('are set when the operator set none', () => {
    expect(heapFlagsToSet(['-r', 'tsconfig-paths/register'], undefined)).toEqual([...HEAP_FLAGS]);
    expect(heapFlagsToSet([], '--max-old-space-size=512')).toEqual([...HEAP_FLAGS]);
  });

  it("leave the operator's value, from the command line or NODE_OPTIONS, in either spelling", () => {
    expect(heapFlagsToSet(['--heap-growing-percent=20', ...STARTUP_FLAGS], undefined)).toEqual([]);
    expect(heapFlagsToSet([], '--trace-gc  --heap_growing_percent=80 --max_semi_space_size=4')).toEqual([]);
  });

  // The request thread's young generation is sized before main.ts runs: these flags work only on the command line.
  it('that only the command line can set are on the command line of npm start and of the Docker image', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(join(ROOT, 'docker/Dockerfile'), 'utf8'))?.[1];
    const dockerArgs = JSON.parse(cmd ?? '[]') as string[];
    for (const flag of STARTUP_FLAGS) {
      expect({ flag, startProd: scripts['start:prod']?.split(/\s+/).includes(flag) }).toEqual({
        flag,
        startProd: true,
      });
      expect({ flag, docker: dockerArgs.includes(flag) }).toEqual({ flag, docker: true });
    }
  });
});
