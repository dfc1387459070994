import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * The error every construct of this library throws for props it cannot accept.
 *
 * The message starts with the construct path and lists every problem found, so one synth shows
 * everything that has to change.
 */
export class ConstructPropsError extends Error {
  /** The path of the construct whose props were refused. */
  public readonly constructPath: string;
  /** Every problem found, in the order they were checked. */
  public readonly problems: string[];

  constructor(constructPath: string, constructName: string, problems: string[]) {
    super(
      `${constructPath}: invalid ${constructName} props (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n`
      + problems.map((p) => `  - ${p}`).join('\n'),
    );
    this.name = 'ConstructPropsError';
    this.constructPath = constructPath;
    this.problems = problems;
  }
}

/**
 * Collects the problems with a construct's props, then throws them all at once.
 *
 * ```ts
 * const check = new PropsCheck(this, 'ReplicatedBucket');
 * check.require(min <= max, `minCapacity (${min}) must not exceed maxCapacity (${max})`);
 * check.throwIfAny();
 * ```
 */
export class PropsCheck {
  private readonly problems: string[] = [];

  constructor(private readonly scope: IConstruct, private readonly constructName: string) {}

  /** Records `problem` unless `condition` holds. */
  public require(condition: boolean, problem: string): this {
    if (!condition) this.problems.push(problem);
    return this;
  }

  /** Records a problem unconditionally. */
  public add(problem: string): this {
    this.problems.push(problem);
    return this;
  }

  /** Records a problem when `value` is a number outside [min, max]. Undefined is accepted. */
  public inRange(name: string, value: number | undefined, min: number, max: number): this {
    if (value !== undefined && (!Number.isFinite(value) || value < min || value > max)) {
      this.problems.push(`${name} must be between ${min} and ${max}, got ${value}`);
    }
    return this;
  }

  /**
   * Records a problem when `value` is not a positive whole number (1, 2, 3, ...). Undefined and
   * unresolved tokens are accepted.
   */
  public positiveWholeNumber(name: string, value: number | undefined): this {
    if (value !== undefined && !Token.isUnresolved(value) && !(Number.isSafeInteger(value) && value > 0)) {
      this.problems.push(`${name} must be a positive whole number, got ${value}`);
    }
    return this;
  }

  /** The problems recorded so far. */
  public get count(): number {
    return this.problems.length;
  }

  /** Throws one {@link ConstructPropsError} listing every recorded problem, if there is any. */
  public throwIfAny(): void {
    if (this.problems.length > 0) {
      throw new ConstructPropsError(this.scope.node.path, this.constructName, [...this.problems]);
    }
  }
}
