/**
 * Waits for a condition without sleeping a fixed time: re-checks on every turn of the event loop and gives up
 * with the last observed value after `timeoutMs` (a hung condition fails the test instead of hanging it).
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  accept: (value: T) => boolean,
  { timeoutMs = 5000, what = 'condition' }: { timeoutMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; last value: ${String(value)}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
