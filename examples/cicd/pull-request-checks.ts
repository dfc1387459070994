/**
 * CICD-2 examples: pull request checks on a new repository (with push triggers), and on an
 * existing repository imported by name (push events through EventBridge).
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import { Construct } from 'constructs';
import { PullRequestChecks } from '../../lib';
import { env, ExampleConfig } from '../config';

/** A new repository whose pull requests into `main` need passing unit tests. */
export class PullRequestChecksStack extends Stack {
  public readonly checks: PullRequestChecks;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    this.checks = new PullRequestChecks(this, 'Checks', {
      repositoryName: 'devops-patterns-service',
      installCommands: ['npm ci'],
      testCommands: ['npm test'],
      targetBranches: ['main'],
      protectedBranches: ['main', 'release'],
    });
  }
}

/** An existing repository: the checks, the template association and the policies, no new repository. */
export class ExistingRepositoryChecksStack extends Stack {
  public readonly checks: PullRequestChecks;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    this.checks = new PullRequestChecks(this, 'Checks', {
      repository: codecommit.Repository.fromRepositoryName(this, 'Repository', 'legacy-service'),
      testCommands: ['make test'],
      targetBranches: ['main', 'develop'],
    });
  }
}

/** The CICD-2 example stacks. */
export interface PullRequestChecksExamples {
  readonly newRepository: PullRequestChecksStack;
  readonly existingRepository: ExistingRepositoryChecksStack;
}

/** Adds the CICD-2 example stacks to `app`. */
export function addPullRequestChecksExamples(app: App, config: ExampleConfig): PullRequestChecksExamples {
  const newRepository = new PullRequestChecksStack(app, 'Cicd2-PullRequestChecks', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'CICD-2 PullRequestChecks: a new repository whose pull requests need passing unit tests',
  });
  const existingRepository = new ExistingRepositoryChecksStack(app, 'Cicd2-PullRequestChecks-Existing', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'CICD-2 PullRequestChecks: pull request checks on an existing repository',
  });
  return { newRepository, existingRepository };
}
