/**
 * CICD-1 ReleaseSource: where a {@link ReleasePipeline} takes its source from, CodeCommit (through
 * an EventBridge rule, never polling) or GitHub (through a CodeConnections connection, which
 * pushes), and the source action that reads it.
 */
import { Token } from 'aws-cdk-lib';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ServiceRole } from '../core/service-role';

/** A GitHub repository reached through an AWS CodeConnections connection. */
export interface GitHubSourceOptions {
  /**
   * The ARN of the CodeConnections (formerly CodeStar Connections) connection, already authorized
   * in the console: `arn:<partition>:codeconnections:...` or the older
   * `arn:<partition>:codestar-connections:...`. The source action's role gets the `UseConnection`
   * action of the ARN's service prefix (both prefixes when the ARN is a token).
   */
  readonly connectionArn: string;
  /** The repository owner (user or organization). */
  readonly owner: string;
  /** The repository name. */
  readonly repo: string;
  /**
   * The branch that releases.
   * @default 'main'
   */
  readonly branch?: string;
}

/**
 * The IAM service prefixes a CodeConnections connection ARN can carry. AWS CodeStar Connections
 * was renamed AWS CodeConnections on 29 March 2024: connections created since (the console creates
 * them so from 1 July 2024) have `arn:<partition>:codeconnections:` ARNs, older ones keep
 * `arn:<partition>:codestar-connections:`, and "when specifying a resource in the IAM policy, the
 * service prefix needs to match that of the resource"
 * (https://docs.aws.amazon.com/dtconsole/latest/userguide/rename.html,
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodeconnections.html).
 */
const CONNECTION_PREFIXES = ['codeconnections', 'codestar-connections'] as const;

/**
 * The `UseConnection` actions for `connectionArn`: the one of its service prefix, or both when the
 * prefix cannot be read at synth (a token), or none for an ARN of another service.
 */
function useConnectionActions(connectionArn: string): string[] {
  const service = connectionArn.split(':')[2];
  if (!connectionArn.startsWith('arn:') || service === undefined || Token.isUnresolved(service)) {
    return Token.isUnresolved(connectionArn) ? CONNECTION_PREFIXES.map((p) => `${p}:UseConnection`) : [];
  }
  return (CONNECTION_PREFIXES as readonly string[]).includes(service) ? [`${service}:UseConnection`] : [];
}

/**
 * The CodeStarSourceConnection source action of aws-cdk-lib, granting `UseConnection` with the
 * prefix of the connection's ARN. aws-cdk-lib 2.276's `CodeStarConnectionsSourceAction` grants
 * `codestar-connections:UseConnection` whatever the ARN, which does not match a `codeconnections`
 * connection; the rest (action type, artifact grants, configuration) is the same as its own.
 */
class ConnectionSourceAction extends actions.CodeStarConnectionsSourceAction {
  constructor(private readonly connectionProps: actions.CodeStarConnectionsSourceActionProps) {
    super(connectionProps);
  }

  protected bound(_scope: Construct, _stage: codepipeline.IStage, options: codepipeline.ActionBindOptions): codepipeline.ActionConfig {
    const p = this.connectionProps;
    options.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: useConnectionActions(p.connectionArn), resources: [p.connectionArn] }));
    options.bucket.grantReadWrite(options.role);
    options.bucket.grantPutAcl(options.role);
    return {
      configuration: {
        ConnectionArn: p.connectionArn,
        FullRepositoryId: `${p.owner}/${p.repo}`,
        BranchName: p.branch ?? 'master',
        DetectChanges: p.triggerOnPush,
      },
    };
  }
}

/** Where a {@link ReleasePipeline} takes its source from: CodeCommit or GitHub. */
export class ReleaseSource {
  /**
   * A CodeCommit repository; pushes to `branch` start the pipeline through an EventBridge rule.
   * @param repository the repository
   * @param branch the branch that releases (default 'main')
   */
  public static codeCommit(repository: codecommit.IRepository, branch?: string): ReleaseSource {
    return new ReleaseSource('CodeCommit', branch ?? 'main', repository, undefined);
  }

  /** A GitHub repository through a CodeConnections connection; pushes start the pipeline. */
  public static gitHub(options: GitHubSourceOptions): ReleaseSource {
    return new ReleaseSource('GitHub', options.branch ?? 'main', undefined, options);
  }

  /** The provider's name: `CodeCommit` or `GitHub`. */
  public readonly provider: string;
  /** The branch that releases. */
  public readonly branch: string;

  private constructor(provider: string, branch: string,
    private readonly repository: codecommit.IRepository | undefined,
    private readonly gitHubOptions: GitHubSourceOptions | undefined) {
    this.provider = provider;
    this.branch = branch;
  }

  /**
   * The problems with this source's options, for the pipeline's props check.
   * @internal
   */
  public _problems(): string[] {
    const arn = this.gitHubOptions?.connectionArn;
    if (arn === undefined || useConnectionActions(arn).length > 0) return [];
    return [`source connectionArn "${arn}" is not a CodeConnections connection ARN: expected arn:<partition>:codeconnections:<region>:<account>:connection/<id> (or the older codestar-connections form)`];
  }

  /** @internal */
  public _action(scope: Construct, output: codepipeline.Artifact, actionRole: iam.IRole): codepipeline.IAction {
    if (this.repository) {
      const eventRole = new ServiceRole(scope, 'SourceEventRole', {
        assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
        description: `EventBridge starts ${scope.node.path} on pushes to ${this.branch}`,
      });
      return new actions.CodeCommitSourceAction({
        actionName: 'CodeCommit',
        repository: this.repository,
        branch: this.branch,
        output,
        trigger: actions.CodeCommitTrigger.EVENTS,
        eventRole,
        role: actionRole,
      });
    }
    const gh = this.gitHubOptions!;
    return new ConnectionSourceAction({
      actionName: 'GitHub',
      connectionArn: gh.connectionArn,
      owner: gh.owner,
      repo: gh.repo,
      branch: this.branch,
      output,
      triggerOnPush: true,
      role: actionRole,
    });
  }
}
