// Durations as the spec writes them (spec.expectSuccessWithin, spec.runHistoryMaxAge): whole numbers of
// d, h, m and s, largest unit first, e.g. "25h", "90m", "1h30m", "30d". The CRD checks the same shape
// with DURATION_PATTERN (CEL); validateSpec adds the bounds and says what to write instead.
import { DURATION_PATTERN } from '../api/schedule.js';

const SHAPE = new RegExp(DURATION_PATTERN);
const UNIT_SECONDS = { d: 86_400, h: 3_600, m: 60, s: 1 } as const;

/** parseDuration returns the duration in seconds, or undefined when the text is not a duration (or is zero-length). */
export function parseDuration(text: string): number | undefined {
  if (text === '' || !SHAPE.test(text)) return undefined;
  let seconds = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([dhms])/g)) seconds += Number(n) * UNIT_SECONDS[unit as keyof typeof UNIT_SECONDS];
  return seconds;
}

/** formatDuration writes seconds back in the same grammar, largest unit first ("1d1h", "90s" -> "1m30s"). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'never';
  let rest = Math.max(0, Math.round(seconds));
  let out = '';
  for (const [unit, size] of Object.entries(UNIT_SECONDS)) {
    const n = Math.floor(rest / size);
    if (n) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out || '0s';
}
