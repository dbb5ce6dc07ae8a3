// DashScope reports task times as China Standard Time (UTC+8, no DST) without a zone designator:
// the simulator writes them, the worker reads them.

const UTC8_OFFSET_MS = 8 * 60 * 60 * 1000;

/** Epoch milliseconds → "YYYY-MM-DD HH:mm:ss.SSS" in UTC+8. */
export function formatChinaTime(epochMs: number): string {
  return new Date(epochMs + UTC8_OFFSET_MS).toISOString().slice(0, 23).replace('T', ' ');
}

const CHINA_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/;

/** "YYYY-MM-DD HH:mm:ss[.SSS]" in UTC+8 → the moment; null for anything else. */
export function parseChinaTime(text: unknown): Date | null {
  if (typeof text !== 'string') return null;
  const m = CHINA_TIME.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, ms = '0'] = m;
  const epoch = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms.padEnd(3, '0'))) - UTC8_OFFSET_MS;
  return Number.isNaN(epoch) ? null : new Date(epoch);
}
