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

  /** Records a problem when `value` is not a 12-digit AWS account id. Undefined and tokens are accepted. */
  public accountId(name: string, value: string | undefined): this {
    return this.matches(name, value, ACCOUNT_ID, 'a 12-digit account id');
  }

  /** Records a problem when `value` is not an AWS Organizations id (`o-` and 10-32 characters). */
  public organizationId(name: string, value: string | undefined): this {
    return this.matches(name, value, ORGANIZATION_ID, 'an organization id such as o-a1b2c3d4e5');
  }

  /** Records a problem when `value` is not an organizational unit id (`ou-xxxx-xxxxxxxx`). */
  public organizationalUnitId(name: string, value: string | undefined): this {
    return this.matches(name, value, OU_ID, 'an organizational unit id such as ou-a1b2-c3d4e5f6');
  }

  /** Records a problem when `value` is not an organization root id (`r-` and 4-32 characters). */
  public rootId(name: string, value: string | undefined): this {
    return this.matches(name, value, ROOT_ID, 'an organization root id such as r-ab12');
  }

  /**
   * Records a problem when `value` is neither an organizational unit id nor a root id: the
   * targets of StackSets, SCP attachments and Config member deployments.
   */
  public organizationTarget(name: string, value: string | undefined): this {
    return this.matches(name, value, new RegExp(`${OU_ID.source}|${ROOT_ID.source}`), 'an organizational unit id (ou-...) or a root id (r-...)');
  }

  /** Records a problem when `value` does not match `pattern`. Undefined and unresolved tokens are accepted. */
  public matches(name: string, value: string | undefined, pattern: RegExp, what: string): this {
    if (value !== undefined && !Token.isUnresolved(value) && !anchored(pattern).test(value)) {
      this.problems.push(`${name} must be ${what}, got "${value}"`);
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

/** AWS account ids: 12 digits. */
export const ACCOUNT_ID = /^\d{12}$/;
/** AWS Organizations ids (API reference, Organization.Id). */
export const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
/** Organizational unit ids (API reference, OrganizationalUnit.Id). */
export const OU_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
/** Organization root ids (API reference, Root.Id). */
export const ROOT_ID = /^r-[0-9a-z]{4,32}$/;

function anchored(pattern: RegExp): RegExp {
  const source = pattern.source.split('|').map((alt) => `^${alt.replace(/^\^/, '').replace(/\$$/, '')}$`).join('|');
  return new RegExp(source, pattern.flags);
}
