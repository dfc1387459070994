/**
 * How CodeDeploy moves traffic from the old version to the new one: shared by CICD-5
 * (LambdaCanaryRelease) and CICD-6 (EcsBlueGreenService).
 */
import { Duration } from 'aws-cdk-lib';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';

/** How a {@link TrafficShift} moves traffic. */
export enum TrafficShiftType {
  /** Every request goes to the new version at once. */
  ALL_AT_ONCE = 'ALL_AT_ONCE',
  /** One step of `percentage`, then, after `interval`, the rest. */
  CANARY = 'CANARY',
  /** Equal steps of `percentage`, one every `interval`. */
  LINEAR = 'LINEAR',
}

/**
 * How CodeDeploy moves traffic from the old version to the new one, for Lambda ({@link
 * LambdaCanaryRelease}) and ECS ({@link EcsBlueGreenService}) deployments. The predefined
 * CodeDeploy configurations are used where one matches (for example
 * `LambdaCanary10Percent10Minutes`); any other shift becomes a custom deployment configuration.
 */
export class TrafficShift {
  /** Every request moves to the new version at once (`LambdaAllAtOnce` / `ECSAllAtOnce`). */
  public static allAtOnce(): TrafficShift {
    return new TrafficShift(TrafficShiftType.ALL_AT_ONCE);
  }

  /** 10 % of requests for 10 minutes, then all (`LambdaCanary10Percent10Minutes`). */
  public static canary10Percent10Minutes(): TrafficShift {
    return new TrafficShift(TrafficShiftType.CANARY, 10, Duration.minutes(10));
  }

  /** 10 % more of the requests every 10 minutes (`LambdaLinear10PercentEvery10Minutes`). */
  public static linear10PercentEvery10Minutes(): TrafficShift {
    return new TrafficShift(TrafficShiftType.LINEAR, 10, Duration.minutes(10));
  }

  /**
   * A canary: `percentage` % of requests go to the new version for `interval`, then all of them.
   * @param percentage whole percent, 1-99
   * @param interval whole minutes, at least 1
   */
  public static canary(percentage: number, interval: Duration): TrafficShift {
    return new TrafficShift(TrafficShiftType.CANARY, percentage, interval);
  }

  /**
   * Linear: `percentage` % more of the requests every `interval` until all go to the new version.
   * @param percentage whole percent, 1-99
   * @param interval whole minutes, at least 1
   */
  public static linear(percentage: number, interval: Duration): TrafficShift {
    return new TrafficShift(TrafficShiftType.LINEAR, percentage, interval);
  }

  /**
   * @param shiftType how traffic moves
   * @param percentage the share of each step, for canary and linear shifts
   * @param interval the time between steps, for canary and linear shifts
   */
  private constructor(
    public readonly shiftType: TrafficShiftType,
    public readonly percentage?: number,
    public readonly interval?: Duration,
  ) {}

  /** The whole minutes between steps, for canary and linear shifts. */
  public get intervalMinutes(): number | undefined {
    return this.interval?.toMinutes({ integral: false });
  }

  /**
   * The problems with this shift, one sentence each (empty when it is valid).
   * @internal
   */
  public _problems(): string[] {
    if (this.shiftType === TrafficShiftType.ALL_AT_ONCE) return [];
    const problems: string[] = [];
    const p = this.percentage!;
    if (!Number.isInteger(p) || p < 1 || p > 99) {
      problems.push(`traffic percentage must be a whole number between 1 and 99, got ${p}`);
    }
    const minutes = this.intervalMinutes!;
    if (!Number.isInteger(minutes) || minutes < 1) {
      problems.push(`traffic shift interval must be a whole number of minutes, at least 1, got ${minutes} minutes`);
    }
    return problems;
  }

  /**
   * The CodeDeploy traffic routing of a custom configuration.
   * @internal
   */
  public _trafficRouting(): codedeploy.TrafficRouting {
    if (this.shiftType === TrafficShiftType.ALL_AT_ONCE) return codedeploy.TrafficRouting.allAtOnce();
    const props = { percentage: this.percentage!, interval: this.interval! };
    return this.shiftType === TrafficShiftType.CANARY
      ? codedeploy.TrafficRouting.timeBasedCanary(props)
      : codedeploy.TrafficRouting.timeBasedLinear(props);
  }

  /**
   * The key of this shift, for example `CANARY-10-10`.
   * @internal
   */
  public _key(): string {
    return this.shiftType === TrafficShiftType.ALL_AT_ONCE ? this.shiftType : `${this.shiftType}-${this.percentage}-${this.intervalMinutes}`;
  }
}
