/**
 * Polls `probe` every 25 ms until it returns a truthy value, and returns that value; fails after `timeoutMs`
 * naming `what` it waited for. The one polling helper of the tests: state reached by a worker loop, a peer's
 * callback or a child process is awaited this way, never by a fixed sleep.
 */
export async function until<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
