import { ConfigError } from './errors';

/** Small checks shared by every options parser; each names the option it rejects. */

export function requireObject(value: unknown, option: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(option, `expected an object, got ${describe(value)}.`);
  }
  return value as Record<string, unknown>;
}

/** Unknown option names are errors: a typo (`waitForPrimaryMS`) must not silently use a default. */
export function rejectUnknownKeys(
  value: Record<string, unknown>,
  known: readonly string[],
  prefix: string,
): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const option = prefix ? `${prefix}.${key}` : key;
    const guess = closest(key, known);
    throw new ConfigError(
      option,
      `unknown option.${guess ? ` Did you mean \`${prefix ? `${prefix}.` : ''}${guess}\`?` : ''} ` +
        `Known options here: ${known.join(', ')}.`,
    );
  }
}

export interface NumberRule {
  min?: number;
  max?: number;
  integer?: boolean;
  /** Strictly above `min`. */
  exclusiveMin?: boolean;
}

export function optionalNumber(value: unknown, option: string, fallback: number, rule: NumberRule): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ConfigError(option, `expected a finite number, got ${describe(value)}.`);
  }
  if (rule.integer && !Number.isInteger(value)) {
    throw new ConfigError(option, `expected a whole number, got ${value}.`);
  }
  if (rule.min !== undefined && (rule.exclusiveMin ? value <= rule.min : value < rule.min)) {
    throw new ConfigError(
      option,
      `must be ${rule.exclusiveMin ? 'greater than' : 'at least'} ${rule.min}, got ${value}.`,
    );
  }
  if (rule.max !== undefined && value > rule.max) {
    throw new ConfigError(option, `must be at most ${rule.max}, got ${value}.`);
  }
  return value;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
