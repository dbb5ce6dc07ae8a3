// DashScope reports task times as China Standard Time (UTC+8, no DST) without a zone designator.

const UTC8_OFFSET_MS = 8 * 60 * 60 * 1000;

/** Epoch milliseconds → "YYYY-MM-DD HH:mm:ss.SSS" in UTC+8. */
export function formatChinaTime(epochMs: number): string {
  return new Date(epochMs + UTC8_OFFSET_MS).toISOString().slice(0, 23).replace('T', ' ');
}
