// Polls a condition instead of sleeping a fixed time: robust on a loaded 2-core machine.
export async function until<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 15000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
