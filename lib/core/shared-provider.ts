import { CustomResource, Duration, Names, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct } from 'constructs';
import { acknowledge } from './acknowledge';
import { HandlerFunction } from './handler-function';
import { EncryptedLogGroup } from './log-group';
import { acknowledgeNoReservedConcurrency, checkReservedConcurrency } from './reserved-concurrency';
import { ServiceRole } from './service-role';
import { ConstructPropsError, PropsCheck } from './validation';

/** How the provider of one custom resource type is built; the same for every resource of the type. */
export interface SharedProviderProps {
  /** The custom resource type it serves, without `Custom::` (`GuardDutyDelegatedAdmin`). Names the provider in the stack. */
  readonly resourceType: string;
  /** The directory of the TypeScript handler (`index.ts` exporting `handler`). */
  readonly handlerDir: string;
  /** What the handler does, for the function description. */
  readonly description: string;
  /**
   * The handler's timeout. The Provider framework waits for the handler synchronously with a
   * 15-minute timeout, so keep it below that.
   * @default Duration.minutes(1)
   */
  readonly timeout?: Duration;
  /**
   * Concurrency reserved for the handler and the framework function, a positive whole number.
   * Opt-in, because Lambda refuses a reservation that leaves fewer than 100 of the account's
   * concurrent executions unreserved, so it fails the deployment in accounts with a low
   * concurrency quota, such as new accounts. Every resource of the type in one stack must ask for
   * the same value.
   * @default - none
   */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * The one custom resource provider of a resource type in a stack: a {@link HandlerFunction}
 * behind the CDK `Provider` framework, which answers CloudFormation's pre-signed URL also when
 * the handler fails or times out, so a stack never hangs for an hour. Like aws-cdk's own
 * `CustomResourceProvider` and Landing Zone Accelerator, resources of one type share it: get it
 * with {@link SharedProvider.of}, give its handler the statements a resource needs with
 * {@link SharedProvider.grant}, and create resources with {@link SharedProvider.resource}.
 */
export class SharedProvider extends Construct {
  /** The provider of `props.resourceType` in the stack of `scope`, created on first use. */
  public static of(scope: IConstruct, props: SharedProviderProps): SharedProvider {
    const stack = Stack.of(scope);
    const id = `DevOpsPatterns${props.resourceType.replace(/[^A-Za-z0-9]/g, '')}Provider`;
    const existing = stack.node.tryFindChild(id) as SharedProvider | undefined;
    if (!existing) return new SharedProvider(stack, id, props);
    if (existing.reservedConcurrentExecutions !== props.reservedConcurrentExecutions) {
      throw new ConstructPropsError(scope.node.path, 'SharedProvider', [
        `reservedConcurrentExecutions is ${props.reservedConcurrentExecutions ?? 'not set'} here but ${existing.reservedConcurrentExecutions ?? 'not set'} for the ${props.resourceType} provider already in stack ${stack.stackName}: resources of one type share one provider`,
      ]);
    }
    return existing;
  }

  /** The handler function; grant to its role. */
  public readonly handler: HandlerFunction;
  /** The Provider framework in front of it. */
  public readonly provider: cr.Provider;
  /** The custom resource type, `Custom::<resourceType>`. */
  public readonly resourceType: string;
  private readonly reservedConcurrentExecutions?: number;
  private readonly acknowledged = new Set<string>();

  private constructor(scope: Construct, id: string, props: SharedProviderProps) {
    super(scope, id);
    const check = new PropsCheck(this, 'SharedProvider');
    checkReservedConcurrency(check, props.reservedConcurrentExecutions);
    check.require(/^[A-Za-z0-9_@-]{1,60}$/.test(props.resourceType), `resourceType must be 1-60 letters, digits, _, @ or - (CloudFormation custom resource type names), got "${props.resourceType}"`);
    check.throwIfAny();
    this.resourceType = `Custom::${props.resourceType}`;
    this.reservedConcurrentExecutions = props.reservedConcurrentExecutions;
    this.handler = new HandlerFunction(this, 'Handler', {
      handlerDir: props.handlerDir,
      description: props.description,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    });
    const frameworkRole = new ServiceRole(this, 'FrameworkRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Custom resource provider framework of ${this.resourceType} in ${Names.uniqueId(this)}`,
    });
    const frameworkLogs = new EncryptedLogGroup(this, 'FrameworkLogs').logGroup;
    frameworkLogs.grantWrite(frameworkRole);
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.handler.function,
      frameworkOnEventRole: frameworkRole,
      logGroup: frameworkLogs,
    });
    frameworkRole.acknowledgeWildcardResource(`${this.handler.function.functionArn}:*`,
      'The provider framework invokes the one handler function of this custom resource type; the wildcard only adds that function\'s versions and aliases.');
    const frameworkFunction = this.provider.node.findChild('framework-onEvent').node.defaultChild as lambda.CfnFunction;
    if (props.reservedConcurrentExecutions === undefined) {
      acknowledgeNoReservedConcurrency(frameworkFunction);
    } else {
      frameworkFunction.reservedConcurrentExecutions = props.reservedConcurrentExecutions;
    }
    acknowledge(frameworkFunction, 'NIST.800.53.R5-LambdaDLQ',
      'CloudFormation invokes the provider framework synchronously and the framework reports every failure back to CloudFormation, which fails the deployment; a dead-letter queue only receives failed asynchronous invocations.');
    acknowledge(frameworkFunction, 'NIST.800.53.R5-LambdaInsideVPC',
      'The provider framework only calls the Lambda API and the pre-signed CloudFormation response URL and reaches no resource inside a VPC, so placing it in one would add NAT cost and failure modes without narrowing its access.');
  }

  /** The framework's service token. */
  public get serviceToken(): string {
    return this.provider.serviceToken;
  }

  /**
   * Gives the handler `statements`. A statement that must name `Resource: "*"` (an API without
   * resource-level permissions) comes with `wildcardReason`, which acknowledges that finding on
   * the handler's own policy once.
   */
  public grant(statements: iam.PolicyStatement[], wildcardReason?: string): void {
    for (const statement of statements) this.handler.role.addToPrincipalPolicy(statement);
    if (wildcardReason && !this.acknowledged.has('*')) {
      this.acknowledged.add('*');
      this.handler.role.acknowledgeOnGrants('AwsSolutions-IAM5[Resource::*]', wildcardReason);
    }
  }

  /** Creates one custom resource of this type in `scope`, served by this provider. */
  public resource(scope: Construct, id: string, properties: Record<string, unknown>): CustomResource {
    return new CustomResource(scope, id, { serviceToken: this.serviceToken, resourceType: this.resourceType, properties });
  }
}
