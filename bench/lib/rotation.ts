/**
 * Round-robin over `items`, shared by every connection: consecutive requests use different
 * entries, so concurrent requests spread over all users instead of piling onto a few rows.
 */
export function rotation<T>(items: readonly T[]): () => T {
  if (items.length === 0) throw new Error('nothing to rotate over');
  let next = 0;
  return () => {
    const item = items[next] as T;
    next = (next + 1) % items.length;
    return item;
  };
}
