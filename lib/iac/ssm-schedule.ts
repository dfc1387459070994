/**
 * IAC-6 helper: does a schedule parse as Systems Manager maintenance windows read it?
 *
 * SSM's syntax differs from EventBridge's
 * (docs.aws.amazon.com/systems-manager/latest/userguide/reference-cron-and-rate-expressions.html):
 * - `cron(...)` has six fields (minutes hours day-of-month month day-of-week year), or seven with
 *   a leading seconds field (1-59: maintenance windows do not accept 0 there); one of
 *   day-of-month and day-of-week must be `?`; day-of-week takes `#` (`THU#3`) and `L` (`6L`);
 * - `rate(value unit)` with minute(s) / hour(s) / day(s), singular exactly when the value is 1;
 * - `at(yyyy-mm-ddThh:mm:ss)` runs once.
 * `events.Schedule.cron()` and `events.Schedule.rate()` write expressions of this form.
 */

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: string[];
  /** Extra single-item forms this field accepts (L, W, #). */
  readonly special?: RegExp;
  readonly question?: boolean;
}

const SECONDS: FieldSpec = { name: 'seconds', min: 1, max: 59 };
const FIELDS: FieldSpec[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, special: /^(L|LW|([1-9]|[12]\d|3[01])W)$/, question: true },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, special: /^(L|([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5]))$/, question: true },
  { name: 'year', min: 1970, max: 2199 },
];

/** Why `expression` is not a schedule maintenance windows accept, or undefined when it is. */
export function ssmScheduleProblem(expression: string): string | undefined {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    if (value < 1) return 'a rate must be a positive number';
    const singular = !rate[2].endsWith('s');
    if (singular !== (value === 1)) return `the unit of rate(${value} ...) must be ${value === 1 ? 'singular' : 'plural'}`;
    return undefined;
  }
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(expression);
  if (at) {
    const [y, mo, d, h, mi, s] = at.slice(1).map(Number);
    const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
    return date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && h < 24 && mi < 60 && s < 60 ? undefined : 'at(...) must name a real date and time';
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) return 'it must be cron(...), rate(...) or at(...)';
  const fields = cron[1].trim().split(/\s+/);
  if (fields.length !== 6 && fields.length !== 7) return `cron(...) must have 6 fields (or 7 with seconds), got ${fields.length}`;
  const specs = fields.length === 7 ? [SECONDS, ...FIELDS] : FIELDS;
  for (let i = 0; i < fields.length; i++) {
    const problem = fieldProblem(fields[i], specs[i]);
    if (problem) return problem;
  }
  const dom = fields[fields.length - 4];
  const dow = fields[fields.length - 2];
  if ((dom === '?') === (dow === '?')) return 'exactly one of day-of-month and day-of-week must be ?';
  return undefined;
}

function fieldProblem(field: string, spec: FieldSpec): string | undefined {
  const bad = `the ${spec.name} field "${field}" is not valid`;
  if (field === '?') return spec.question ? undefined : bad;
  if (field === '*') return undefined;
  for (const item of field.split(',')) {
    if (item === '' ) return bad;
    if (spec.special?.test(item.toUpperCase())) continue;
    const [base, step, ...rest] = item.split('/');
    if (rest.length > 0) return bad;
    if (step !== undefined && !/^[1-9]\d*$/.test(step)) return bad;
    if (base === '*' && step !== undefined) continue;
    const ends = base.split('-');
    if (ends.length > 2 || ends.some((e) => value(e, spec) === undefined)) return bad;
  }
  return undefined;
}

function value(text: string, spec: FieldSpec): number | undefined {
  const upper = text.toUpperCase();
  const byName = spec.names?.indexOf(upper) ?? -1;
  if (byName >= 0) return byName + 1;
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= spec.min && n <= spec.max ? n : undefined;
}
