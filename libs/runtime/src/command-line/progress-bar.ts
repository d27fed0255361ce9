/** A progress bar: call it with how far along the work is; `end()` once it is over. */
export type ProgressBar = ((done: number | bigint, total: number | bigint) => void) & { end(): void };

const WIDTH = 30;

/**
 * The one progress bar of CarePath's command lines. It writes to stderr, so stdout stays clean for what a command
 * answers (JSON, a token). On a terminal it redraws in place, at most every 100 ms; piped into a file or a log it
 * writes one line per tenth of the way, not a line per update.
 */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  const tty = stream.isTTY === true;
  let lastDrawn = 0;
  let lastTenth = -1;
  let drawn = false;
  const bar = (done: number | bigint, total: number | bigint) => {
    const ratio = Number(total) > 0 ? Math.min(1, Math.max(0, Number(done) / Number(total))) : 1;
    if (tty) {
      const now = Date.now();
      if (ratio < 1 && now - lastDrawn < 100) return;
      lastDrawn = now;
    } else {
      const tenth = Math.floor(ratio * 10);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
    }
    drawn = true;
    const filled = '#'.repeat(Math.round(ratio * WIDTH)).padEnd(WIDTH, '.');
    const line = `${label} [${filled}] ${(ratio * 100).toFixed(1)}% ${done}/${total}`;
    stream.write(tty ? `\r${line}` : `${line}\n`);
  };
  return Object.assign(bar, {
    end() {
      if (tty && drawn) stream.write('\n');
      drawn = false;
    },
  });
}
