/**
 * Which acknowledgements the library makes, and on what: records every
 * `Validations.of(x).acknowledge(...)` made while `build` runs, with the source file that asked
 * for it.
 */
import * as path from 'path';
import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

const ROOT = path.join(__dirname, '..', '..');
const HELPERS = [path.join(ROOT, 'lib', 'core', 'acknowledge.ts'), path.join(ROOT, 'lib', 'core', 'not-replicated.ts')];

/** One acknowledgement: the construct it is on, the rule, and the repository file that made it. */
export interface RecordedAcknowledgement {
  readonly target: IConstruct;
  readonly id: string;
  readonly madeIn: string;
}

/**
 * The file that asked for an acknowledgement: `aws-cdk-lib` when aws-cdk-lib made it itself (its
 * own code called `acknowledge`), else the first repository file past the acknowledgement helpers.
 */
function callerFile(stack: string): string {
  let first = true;
  for (const line of stack.split('\n').slice(1)) {
    const match = /\(?([^()\s]+\.(?:ts|js)):\d+:\d+\)?$/.exec(line.trim());
    if (!match || match[1] === __filename) continue;
    const file = match[1];
    const external = file.includes(`${path.sep}node_modules${path.sep}`);
    if (first && external) return 'aws-cdk-lib';
    first = false;
    if (external || HELPERS.includes(file)) continue;
    return path.relative(ROOT, file);
  }
  return '(unknown)';
}

/** Runs `build`, recording every acknowledgement made meanwhile. */
export function recordAcknowledgements<T>(build: () => T): { result: T; acknowledgements: RecordedAcknowledgement[] } {
  const acknowledgements: RecordedAcknowledgement[] = [];
  const proto = Validations.prototype as unknown as { acknowledge: (...rules: Array<{ id: string; reason: string }>) => void };
  const original = proto.acknowledge;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 100;
  proto.acknowledge = function (this: { scope: IConstruct }, ...rules: Array<{ id: string; reason: string }>) {
    const madeIn = callerFile(new Error().stack ?? '');
    for (const rule of rules) acknowledgements.push({ target: this.scope, id: rule.id, madeIn });
    return original.apply(this, rules);
  };
  try {
    return { result: build(), acknowledgements };
  } finally {
    proto.acknowledge = original;
    Error.stackTraceLimit = limit;
  }
}
