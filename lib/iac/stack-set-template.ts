/**
 * The template of an IAC-2 {@link OrganizationStackSet}: a CDK stack of its own app or Stage,
 * synthesized into an inline `TemplateBody`, or a template written as an object.
 */
import { AssetStaging, NestedStack, Stack, Stage, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * The template a StackSet deploys to every account and region it targets.
 *
 * A StackSet's template is inline (`TemplateBody`): each stack instance runs in a member
 * account, where nothing of the CDK bootstrap exists (no asset bucket, no bootstrap version
 * parameter), so a CDK stack used here must synthesize to a self-contained template: no
 * assets (Lambda code from files, Docker images, nested stacks) and no bootstrap version rule
 * (use `BootstraplessSynthesizer`), and no fixed account or region (the same template runs in
 * all of them).
 */
export class StackSetTemplate {
  /**
   * The synthesized template of a CDK stack. The stack must be defined in an app or Stage of
   * its own (not in the StackSet's app or Stage, where it would be deployed as a stack too), be
   * environment-agnostic, use a synthesizer that needs no bootstrap (`BootstraplessSynthesizer`)
   * and have no assets. Its app or Stage is synthesized when the StackSet is created, so define
   * the stack completely first.
   */
  public static fromStack(stack: Stack): StackSetTemplate {
    return new StackSetTemplate(stack, undefined);
  }

  /** A template written as an object (it is rendered as JSON into `TemplateBody`). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any CloudFormation template, as JSON
  public static fromObject(template: { [key: string]: any }): StackSetTemplate {
    return new StackSetTemplate(undefined, template);
  }

  /** The stack the template is synthesized from, if it is one. */
  public readonly stack?: Stack;
  private readonly object?: { [key: string]: unknown };
  private synthesized?: { template: { [key: string]: unknown }; problems: string[]; constructCount: number };

  private constructor(stack: Stack | undefined, object: { [key: string]: unknown } | undefined) {
    this.stack = stack;
    this.object = object;
  }

  /**
   * The template for a StackSet created in `scope` (undefined when it cannot be synthesized),
   * and why it cannot be a StackSet's template; the stack is synthesized the first time.
   * @internal
   */
  public _render(scope: IConstruct): { template?: { [key: string]: unknown }; problems: string[] } {
    if (this.object !== undefined) return { template: this.object, problems: [] };
    const stack = this.stack!;
    const memberStage = Stage.of(stack);
    for (let stage = Stage.of(scope); stage !== undefined; stage = Stage.of(stage)) {
      if (stage === memberStage) {
        return {
          problems: [`the template stack ${stack.node.path} is in the app or Stage of this StackSet, where it would be deployed as a stack of its own too: define it in a Stage or App of its own`],
        };
      }
    }
    if (this.synthesized === undefined) {
      const problems: string[] = [];
      if (!Token.isUnresolved(stack.account) || !Token.isUnresolved(stack.region)) {
        problems.push(`the template stack ${stack.node.path} has a fixed environment (${stack.account}/${stack.region}): a StackSet deploys the same template to every account and region, so define the stack without env`);
      }
      const assets = stack.node.findAll().filter((c) => c instanceof AssetStaging || (NestedStack.isNestedStack(c) && c !== stack));
      if (assets.length > 0) {
        problems.push(`the template stack ${stack.node.path} has assets (${assets.map((c) => c.node.path).join(', ')}): a StackSet deploys an inline template to member accounts, which have no CDK asset bucket to read them from; use inline code (lambda.Code.fromInline) or move them to a stack of the administrator account`);
      }
      const artifact = memberStage!.synth().getStackArtifact(stack.artifactId);
      const template = artifact.template as { [key: string]: unknown };
      const parameters = (template.Parameters ?? {}) as { [key: string]: unknown };
      const rules = (template.Rules ?? {}) as { [key: string]: unknown };
      if ('BootstrapVersion' in parameters || 'CheckBootstrapVersion' in rules) {
        problems.push(`the template stack ${stack.node.path} checks the CDK bootstrap version, which member accounts do not have: give it synthesizer: new BootstraplessSynthesizer()`);
      }
      if (artifact.assets.length > 0 && assets.length === 0) {
        problems.push(`the template stack ${stack.node.path} has assets (${artifact.assets.length}): a StackSet deploys an inline template to member accounts, which have no CDK asset bucket to read them from`);
      }
      this.synthesized = { template, problems, constructCount: stack.node.findAll().length };
    }
    return { template: this.synthesized.template, problems: this.synthesized.problems };
  }

  /**
   * A problem when constructs were added to the stack after it was synthesized for a StackSet
   * (they would be missing from the StackSet's template), for validation at synthesis.
   * @internal
   */
  public _changedSinceRendered(): string[] {
    if (this.stack === undefined || this.synthesized === undefined) return [];
    const now = this.stack.node.findAll().length;
    return now === this.synthesized.constructCount ? [] : [
      `the template stack ${this.stack.node.path} changed after the StackSet took its template (${this.synthesized.constructCount} constructs then, ${now} now): create the OrganizationStackSet once the stack is complete`,
    ];
  }
}
