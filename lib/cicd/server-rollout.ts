/**
 * CICD-4 ServerRollout: how many instances a {@link ServerDeployment} keeps healthy while it
 * deploys, one typed choice: a predefined CodeDeploy configuration (all at once, half at a time,
 * one at a time, or any existing configuration) or a custom minimum of healthy hosts, as a
 * percentage of the fleet or a number of instances.
 */
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import { Construct } from 'constructs';

/** How many instances stay healthy during a {@link ServerDeployment}'s deployments. */
export class ServerRollout {
  /** Deploys to every instance at once (`CodeDeployDefault.AllAtOnce`). */
  public static readonly ALL_AT_ONCE = ServerRollout.of(codedeploy.ServerDeploymentConfig.ALL_AT_ONCE);
  /** Deploys to half of the instances at a time (`CodeDeployDefault.HalfAtATime`). */
  public static readonly HALF_AT_A_TIME = ServerRollout.of(codedeploy.ServerDeploymentConfig.HALF_AT_A_TIME);
  /** Deploys to one instance at a time (`CodeDeployDefault.OneAtATime`). */
  public static readonly ONE_AT_A_TIME = ServerRollout.of(codedeploy.ServerDeploymentConfig.ONE_AT_A_TIME);

  /** An existing deployment configuration, predefined or yours (imported ones included). */
  public static of(config: codedeploy.IServerDeploymentConfig): ServerRollout {
    return new ServerRollout(config, undefined);
  }

  /**
   * A custom configuration: at least `percentage` (0-100) of the instances stay healthy.
   * @param percentage the percentage of the fleet, a whole number from 0 to 100
   */
  public static minimumHealthyHostsPercentage(percentage: number): ServerRollout {
    return new ServerRollout(undefined, { kind: 'percentage', value: percentage });
  }

  /**
   * A custom configuration: at least `count` instances stay healthy.
   * @param count a whole number of 0 or more
   */
  public static minimumHealthyHostsCount(count: number): ServerRollout {
    return new ServerRollout(undefined, { kind: 'count', value: count });
  }

  private constructor(
    private readonly config: codedeploy.IServerDeploymentConfig | undefined,
    private readonly minimum: { kind: 'percentage' | 'count'; value: number } | undefined) {}

  /**
   * The problems with this choice, for the deployment's props check.
   * @internal
   */
  public _problems(): string[] {
    const m = this.minimum;
    if (!m) return [];
    if (m.kind === 'percentage' && !(Number.isInteger(m.value) && m.value >= 0 && m.value <= 100)) {
      return [`rollout: the minimum healthy hosts percentage must be a whole number between 0 and 100, got ${m.value}`];
    }
    if (m.kind === 'count' && !(Number.isInteger(m.value) && m.value >= 0)) {
      return [`rollout: the minimum healthy hosts count must be a whole number of 0 or more, got ${m.value}`];
    }
    return [];
  }

  /**
   * The deployment configuration, created in `scope` for a custom minimum.
   * @internal
   */
  public _bind(scope: Construct, id: string): codedeploy.IServerDeploymentConfig {
    if (this.config) return this.config;
    const m = this.minimum!;
    return new codedeploy.ServerDeploymentConfig(scope, id, {
      minimumHealthyHosts: m.kind === 'percentage' ? codedeploy.MinimumHealthyHosts.percentage(m.value) : codedeploy.MinimumHealthyHosts.count(m.value),
    });
  }
}
