/**
 * Bounded parallelism for downloads: enough requests in flight to hide latency, few enough not
 * to hammer a mirror.
 */

/**
 * Maps `items` through `fn` with at most `limit` calls in flight, keeping the input order in the
 * result. On the first failure no new work starts; the returned promise rejects with that error
 * once the calls already in flight have settled (so nothing keeps writing after we return).
 */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>
): Promise<R[]> {
  const results = new Array<R>(items.length)
  const width = Math.max(1, Math.min(Math.floor(limit) || 1, items.length))
  let next = 0
  let failure: { error: unknown } | undefined

  async function worker(): Promise<void> {
    while (failure === undefined && next < items.length) {
      const i = next++
      try {
        results[i] = await fn(items[i], i)
      } catch (error) {
        failure ??= { error }
      }
    }
  }

  await Promise.all(Array.from({ length: width }, () => worker()))
  if (failure !== undefined) throw failure.error
  return results
}
