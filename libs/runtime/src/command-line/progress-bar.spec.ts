import { progressBar } from './progress-bar';

/** A stream that keeps what is written to it; `isTTY` as a terminal or a pipe would say. */
function stream(isTTY: boolean): NodeJS.WriteStream & { written: string[] } {
  const written: string[] = [];
  return {
    isTTY,
    written,
    write: (chunk: string) => written.push(chunk) > 0,
  } as unknown as NodeJS.WriteStream & { written: string[] };
}

describe('progressBar', () => {
  it('piped, writes one line per tenth of the way, whatever the number of updates', () => {
    const out = stream(false);
    const bar = progressBar('rebuild', out);
    for (let done = 0; done <= 1000; done++) bar(done, 1000);
    bar.end();
    expect(out.written).toHaveLength(11);
    expect(out.written[0]).toBe(`rebuild [${'.'.repeat(30)}] 0.0% 0/1000\n`);
    expect(out.written[5]).toBe(`rebuild [${'#'.repeat(15)}${'.'.repeat(15)}] 50.0% 500/1000\n`);
    expect(out.written.at(-1)).toBe(`rebuild [${'#'.repeat(30)}] 100.0% 1000/1000\n`);
  });

  it('on a terminal, redraws in place, always draws the end, and ends the line once', () => {
    const out = stream(true);
    const bar = progressBar('hash chain', out);
    bar(1n, 4n);
    bar(4n, 4n);
    bar.end();
    bar.end();
    expect(out.written[0]).toBe(`\rhash chain [${'#'.repeat(8)}${'.'.repeat(22)}] 25.0% 1/4`);
    expect(out.written.slice(-2)).toEqual([`\rhash chain [${'#'.repeat(30)}] 100.0% 4/4`, '\n']);
  });

  it('counts an empty task as done, and never draws past the end', () => {
    const out = stream(false);
    const bar = progressBar('nothing', out);
    bar(0, 0);
    expect(out.written).toEqual([`nothing [${'#'.repeat(30)}] 100.0% 0/0\n`]);
    const over = stream(true);
    progressBar('over', over)(7, 5);
    expect(over.written).toEqual([`\rover [${'#'.repeat(30)}] 100.0% 7/5`]);
  });
});
