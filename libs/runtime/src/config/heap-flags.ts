/**
 * How far V8 lets each thread's heap grow between collections. Under load the API's live heap after a full collection
 * is small (about 35-40 MB on each of the request thread and the projection thread, seen with `--trace-gc`), but by
 * default V8 let each grow to 150-200 MB before collecting, which was most of the API's peak RSS (docs/benchmarks.md,
 * "HTTP commands"). A growing factor of 1.5 bounds that growth without a hard heap limit, which a larger live set
 * could hit.
 *
 * The young generation: by default each thread's is two semi-spaces of 16 MB, 32 MB per thread that a busy thread
 * fills between scavenges. Of a request, or of a page of events, next to nothing survives a scavenge: 8 MB each kept
 * about 33 MB less resident under load, and 4 MB about 6 MB more, for no CPU beyond the runs' spread
 * (docs/benchmarks.md, "HTTP commands").
 *
 * Set at start-up (apps/api/src/main.ts), these size every worker thread started afterwards. The request thread's young generation
 * is sized before any code runs, so STARTUP_FLAGS must also be on its command line: `npm start` and the Dockerfile
 * put them there (heap-flags.spec.ts checks that they do), `npm run bench:http` takes start:prod's command line, and
 * the simulator spreads STARTUP_FLAGS into its own.
 */
/** The flags of HEAP_FLAGS that take effect on the request thread only from the command line. */
export const STARTUP_FLAGS = ['--max-semi-space-size=4'] as const;

export const HEAP_FLAGS = ['--heap-growing-percent=50', ...STARTUP_FLAGS] as const;

/** The flags of HEAP_FLAGS the operator did not set (on the command line or in NODE_OPTIONS, in either spelling). */
export function heapFlagsToSet(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  return HEAP_FLAGS.filter((flag) => {
    const name = flag.slice(2, flag.indexOf('='));
    const spellings = [`--${name}=`, `--${name.replace(/-/g, '_')}=`];
    return !given.some((arg) => spellings.some((spelling) => arg.startsWith(spelling)));
  });
}
