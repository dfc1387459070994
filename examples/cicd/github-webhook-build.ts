/**
 * CICD-3 example: a CodeBuild project built by GitHub webhooks on pushes to main and release
 * branches and on pull requests into them.
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import { Construct } from 'constructs';
import { GitHubWebhookBuild } from '../../lib';
import { env, ExampleConfig } from '../config';

/** Webhook builds of a GitHub repository. */
export class GitHubWebhookBuildStack extends Stack {
  public readonly build: GitHubWebhookBuild;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    this.build = new GitHubWebhookBuild(this, 'Build', {
      owner: 'devops-patterns',
      repo: 'cdk-reference',
      pushBranches: ['main', 'release/.*'],
      pullRequestBaseBranches: ['main'],
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: { install: { commands: ['npm ci'] }, build: { commands: ['npm test'] } },
      }),
    });
  }
}

/** The CICD-3 example stacks. */
export interface GitHubWebhookBuildExamples {
  readonly webhookBuild: GitHubWebhookBuildStack;
}

/** Adds the CICD-3 example stacks to `app`. */
export function addGitHubWebhookBuildExamples(app: App, config: ExampleConfig): GitHubWebhookBuildExamples {
  const webhookBuild = new GitHubWebhookBuildStack(app, 'Cicd3-GitHubWebhookBuild', {
    env: env(config.workloadAccount, config.primaryRegion),
    description: 'CICD-3 GitHubWebhookBuild: CodeBuild started by GitHub webhooks, with notifications and a dashboard',
  });
  return { webhookBuild };
}
