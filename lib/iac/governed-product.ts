/**
 * IAC-4 GovernedProduct: a Service Catalog product that end users launch without holding the
 * permissions its resources need, with the parameter values the organization allows.
 *
 * The product is a CDK `ProductStack`, added to a portfolio. A launch constraint names a launch
 * role that Service Catalog assumes to run the product's CloudFormation stack: it may change only
 * the stacks Service Catalog creates for provisioned products, read the templates Service Catalog
 * stores, and do what the caller says the product's resources need, nothing else. End users get
 * Service Catalog rights only (launch this product, manage what they launched), so they cannot
 * create the product's resources by any other way. Template constraint rules narrow the values end
 * users may give a parameter (the allowed instance types, for example); a rule on a parameter the
 * product stack does not have is refused at synth, where Service Catalog would only fail at launch.
 */
import { ArnFormat, CfnParameter, Fn, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as servicecatalog from 'aws-cdk-lib/aws-servicecatalog';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '../core/acknowledge';
import { ServiceRole } from '../core/service-role';
import { PropsCheck } from '../core/validation';

/** A template constraint rule: the values end users may give one parameter of the product. */
export interface ParameterRule {
  /**
   * The parameter it narrows: its logical id in the product stack's template (for a `CfnParameter`
   * created directly in the product stack, the id it was created with).
   */
  readonly parameter: string;

  /** The values end users may choose; any other value fails the launch before a stack is created. */
  readonly allowedValues: string[];

  /**
   * The rule's name in the constraint, unique within the product.
   * @default - `<parameter>AllowedValues`
   */
  readonly ruleName?: string;

  /**
   * What end users read when they choose another value.
   * @default - "<parameter> must be one of <values>"
   */
  readonly description?: string;
}

/** Props for {@link GovernedProduct}. */
export interface GovernedProductProps {
  /** The product's resources, as a CDK product stack created in the stack of this construct. */
  readonly productStack: servicecatalog.ProductStack;

  /** The product's name, as end users see it in the catalog. */
  readonly productName: string;

  /** Who owns the product (a team or a person), shown to end users; also the portfolio's provider. */
  readonly owner: string;

  /**
   * The product version's name. Changing it adds a version; the product stack's template is the
   * content of the current one.
   * @default 'v1'
   */
  readonly productVersionName?: string;

  /**
   * What the product's resources need, granted to the launch role: the actions CloudFormation
   * takes to create, update and delete them (for example `ec2:CreateLaunchTemplate` ... on
   * `launch-template/*`). Keep them to the product's resources; a condition
   * `aws:CalledVia: cloudformation.amazonaws.com` keeps them usable only through CloudFormation.
   */
  readonly launchRoleStatements: iam.PolicyStatement[];

  /**
   * Managed policies the launch role gets in addition to `launchRoleStatements`.
   * @default - none
   */
  readonly launchRoleManagedPolicies?: iam.IManagedPolicy[];

  /**
   * The launch role's name. With it, the launch constraint names the role by name
   * (`LocalRoleName`), so in each account the portfolio is shared with, Service Catalog uses the
   * role of that name in that account; such a role must exist there. Required with
   * `shareWithAccounts`.
   * @default - a generated name; the constraint names this account's role by ARN
   */
  readonly launchRoleName?: string;

  /**
   * Template constraint rules: the values end users may give the product's parameters.
   * @default - none: end users may give any value the template accepts
   */
  readonly parameterRules?: ParameterRule[];

  /**
   * The portfolio to add the product to.
   * @default - a new portfolio named after the product, provided by `owner`
   */
  readonly portfolio?: servicecatalog.IPortfolio;

  /**
   * Roles of this account whose users launch the product: each gets portfolio access and
   * {@link GovernedProduct.endUserPolicy}. More can be added with {@link GovernedProduct.grantLaunch}.
   * @default - none
   */
  readonly endUsers?: iam.IRole[];

  /**
   * Accounts the portfolio is shared with (each must accept the share). Needs `launchRoleName`,
   * and a role of that name, trusted by Service Catalog, in each of them.
   * @default - not shared
   */
  readonly shareWithAccounts?: string[];
}

/**
 * The actions a launch role needs for the stack of a provisioned product, as the Service Catalog
 * administrator guide lists them (docs.aws.amazon.com/servicecatalog/latest/adminguide/getstarted-launchconstraint.html),
 * on the stacks Service Catalog creates, named `SC-<account>-pp-<id>`.
 */
const STACK_ACTIONS = [
  'cloudformation:CreateStack', 'cloudformation:UpdateStack', 'cloudformation:DeleteStack',
  'cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents', 'cloudformation:SetStackPolicy',
];
/** Template checks with no stack to name: ValidateTemplate has no resource type, GetTemplateSummary on a URL names none. */
const TEMPLATE_ACTIONS = ['cloudformation:ValidateTemplate', 'cloudformation:GetTemplateSummary'];

/**
 * IAC-4: a Service Catalog portfolio and product from a CDK product stack, a least-privilege
 * launch role, template constraint rules on its parameters, and end users with Service Catalog
 * rights only.
 *
 * ```ts
 * const product = new GovernedProduct(this, 'Instances', {
 *   productStack, productName: 'Team instance', owner: 'Platform team',
 *   launchRoleStatements: [new iam.PolicyStatement({ actions: ['ec2:CreateLaunchTemplate'], resources: ['*'] })],
 *   parameterRules: [{ parameter: 'InstanceType', allowedValues: ['t3.micro', 't3.small'] }],
 *   endUsers: [developerRole],
 * });
 * ```
 */
export class GovernedProduct extends Construct {
  /** The portfolio the product is in. */
  public readonly portfolio: servicecatalog.IPortfolio;
  /** The product. */
  public readonly product: servicecatalog.CloudFormationProduct;
  /** The role Service Catalog assumes to run the product's stack. */
  public readonly launchRole: ServiceRole;
  /** What the launch role needs for any product: the provisioned product's stack and its template. */
  public readonly launchPolicy: iam.ManagedPolicy;
  /**
   * Everything an end user needs with the launch constraint in place: launch this product, and
   * see, update and terminate the provisioned products they launched. No CloudFormation or
   * resource permissions.
   */
  public readonly endUserPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: GovernedProductProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const check = new PropsCheck(this, 'GovernedProduct');
    check.require(props.launchRoleStatements.length > 0 || (props.launchRoleManagedPolicies?.length ?? 0) > 0,
      'launchRoleStatements must grant what the product\'s resources need: a launch role with CloudFormation rights only creates nothing');
    check.require(props.productName.trim().length > 0, 'productName must not be empty');
    check.require(props.owner.trim().length > 0, 'owner must not be empty');
    // Role names: up to 64 of [\w+=,.@-] (docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
    check.matches('launchRoleName', props.launchRoleName, /^[\w+=,.@-]{1,64}$/, 'an IAM role name of up to 64 letters, digits and +=,.@_-');
    for (const account of props.shareWithAccounts ?? []) check.accountId('shareWithAccounts', account);
    // A launch constraint by ARN names a role of this account; the accounts the portfolio is
    // shared with use the role named by LocalRoleName in their own account instead
    // (docs.aws.amazon.com/servicecatalog/latest/adminguide/constraints-launch.html).
    check.require((props.shareWithAccounts ?? []).length === 0 || props.launchRoleName !== undefined,
      'shareWithAccounts needs launchRoleName: a launch constraint by ARN names a role of this account, which the accounts the portfolio is shared with cannot use; by name, each uses its own role of that name');
    checkRules(check, props.productStack, props.parameterRules ?? []);
    check.throwIfAny();

    const versionName = props.productVersionName ?? 'v1';
    this.product = new servicecatalog.CloudFormationProduct(this, 'Product', {
      productName: props.productName,
      owner: props.owner,
      description: `${props.productName}, launched through Service Catalog with its launch role`,
      productVersions: [{
        productVersionName: versionName,
        // The product stack's template becomes a file asset of this stack (the bootstrap asset
        // bucket); Service Catalog reads it when it creates the version and keeps its own copy.
        cloudFormationTemplate: servicecatalog.CloudFormationTemplate.fromProductStack(props.productStack),
      }],
    });
    // Portfolio limits: display name 1-100 characters, provider name 1-50
    // (docs.aws.amazon.com/servicecatalog/latest/dg/API_CreatePortfolio.html).
    this.portfolio = props.portfolio ?? new servicecatalog.Portfolio(this, 'Portfolio', {
      displayName: `${props.productName.trim()} portfolio`.slice(0, 100),
      providerName: props.owner.trim().slice(0, 50),
      description: `Governed product ${props.productName}`.slice(0, 2000),
    });
    this.portfolio.addProduct(this.product);

    // The trust names Service Catalog only. Its administrator guide documents no aws:SourceAccount
    // or aws:SourceArn for this assumption, so none is required (a condition on a key the service
    // does not send denies every launch).
    this.launchRole = new ServiceRole(this, 'LaunchRole', {
      roleName: props.launchRoleName,
      assumedBy: new iam.ServicePrincipal('servicecatalog.amazonaws.com'),
      description: `Service Catalog launch role of ${this.node.path}`.slice(0, 1000),
      managedPolicies: props.launchRoleManagedPolicies,
    });
    const provisionedStacks = stack.formatArn({
      service: 'cloudformation', resource: 'stack', resourceName: `SC-${stack.account}-pp-*/*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.launchPolicy = new iam.ManagedPolicy(this, 'LaunchPolicy', {
      description: `What the launch role of ${this.node.path} needs for any provisioned product`.slice(0, 1000),
      roles: [this.launchRole],
      statements: [
        new iam.PolicyStatement({ sid: 'ProvisionedProductStacks', actions: STACK_ACTIONS, resources: [provisionedStacks] }),
        new iam.PolicyStatement({ sid: 'CheckTemplates', actions: TEMPLATE_ACTIONS, resources: ['*'] }),
        // Service Catalog keeps the templates in buckets it owns, on objects tagged
        // servicecatalog:provisioning=true; the guide requires exactly this condition
        // (docs.aws.amazon.com/servicecatalog/latest/adminguide/constraints-launch.html).
        new iam.PolicyStatement({
          sid: 'ReadServiceCatalogTemplates',
          actions: ['s3:GetObject'],
          resources: ['*'],
          conditions: { StringEquals: { 's3:ExistingObjectTag/servicecatalog:provisioning': 'true' } },
        }),
      ],
    });
    const launchPolicyResource = this.launchPolicy.node.defaultChild!;
    acknowledgeWildcardResource(launchPolicyResource, provisionedStacks,
      'Service Catalog names the stack of each provisioned product SC-<account>-pp-<id> when it is launched, so the launch role may change only stacks with that prefix in this account.');
    acknowledgeWildcardResource(launchPolicyResource, '*',
      'ValidateTemplate supports no resource-level permissions and GetTemplateSummary on a template URL names no stack; the template read is limited to objects Service Catalog tagged servicecatalog:provisioning=true in the buckets it owns, whose names are not published.');
    for (const statement of props.launchRoleStatements) this.launchRole.addToPrincipalPolicy(statement);
    // Service Catalog checks the role when the constraint is created: its policies come first.
    const constraintDependencies = [this.launchPolicy, this.launchRole.grantsDependable];

    const before = new Set(this.portfolio.node.children);
    if (props.launchRoleName) {
      this.portfolio.setLocalLaunchRole(this.product, this.launchRole, { description: `Launch role ${props.launchRoleName} (by name in each account)` });
    } else {
      this.portfolio.setLaunchRole(this.product, this.launchRole, { description: `Launch role of ${this.node.path}`.slice(0, 2000) });
    }

    for (const rule of props.parameterRules ?? []) {
      this.portfolio.constrainCloudFormationParameters(this.product, {
        description: `Allowed values of ${rule.parameter}`,
        rule: {
          ruleName: rule.ruleName ?? `${rule.parameter}AllowedValues`,
          assertions: [{
            // Fn::Contains: true when the parameter's value is one of the list
            // (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-rules.html).
            assert: Fn.conditionContains(rule.allowedValues, Fn.ref(rule.parameter)),
            description: rule.description ?? `${rule.parameter} must be one of ${rule.allowedValues.join(', ')}`,
          }],
        },
      });
    }
    for (const constraint of this.portfolio.node.children) {
      if (!before.has(constraint) && (constraint instanceof servicecatalog.CfnLaunchRoleConstraint || constraint instanceof servicecatalog.CfnLaunchTemplateConstraint)) {
        constraint.node.addDependency(...constraintDependencies);
      }
    }

    // End users: Service Catalog rights only. The actions on provisioned products and records
    // support no resource type; the userLevel condition limits them to what the user launched
    // (docs.aws.amazon.com/servicecatalog/latest/adminguide/security_iam_service-with-iam-id-based-policies-examples.html).
    this.endUserPolicy = new iam.ManagedPolicy(this, 'EndUserPolicy', {
      description: `Launch ${props.productName} through Service Catalog (${this.node.path})`.slice(0, 1000),
      statements: [
        new iam.PolicyStatement({
          sid: 'LaunchThisProduct',
          actions: ['servicecatalog:ProvisionProduct', 'servicecatalog:DescribeProduct', 'servicecatalog:DescribeProvisioningParameters',
            'servicecatalog:ListLaunchPaths', 'servicecatalog:DescribeProvisioningArtifact'],
          resources: [this.product.productArn],
        }),
        new iam.PolicyStatement({
          sid: 'FindProducts',
          actions: ['servicecatalog:SearchProducts', 'servicecatalog:DescribeProductView'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'ManageWhatTheyLaunched',
          actions: ['servicecatalog:DescribeProvisionedProduct', 'servicecatalog:DescribeRecord', 'servicecatalog:ListRecordHistory',
            'servicecatalog:ScanProvisionedProducts', 'servicecatalog:SearchProvisionedProducts',
            'servicecatalog:UpdateProvisionedProduct', 'servicecatalog:TerminateProvisionedProduct'],
          resources: ['*'],
          conditions: { StringEquals: { 'servicecatalog:userLevel': 'self' } },
        }),
      ],
    });
    acknowledgeWildcardResource(this.endUserPolicy.node.defaultChild!, '*',
      'SearchProducts, DescribeProductView and the provisioned-product actions support no resource type in IAM; what users see is limited to portfolios they are given access to, and changes to what they launched themselves (servicecatalog:userLevel self).');

    for (const role of props.endUsers ?? []) this.grantLaunch(role);
    for (const account of props.shareWithAccounts ?? []) this.portfolio.shareWithAccount(account);
  }

  /**
   * Lets the users of `role` launch the product: portfolio access, and {@link endUserPolicy}
   * attached to the role (by name, so a role imported by ARN works too, in this account).
   */
  public grantLaunch(role: iam.IRole): void {
    this.portfolio.giveAccessToRole(role);
    this.endUserPolicy.attachToRole(role);
  }
}

/** Records every problem with the template constraint rules against the product stack's parameters. */
function checkRules(check: PropsCheck, productStack: servicecatalog.ProductStack, rules: ParameterRule[]): void {
  const parameters = new Map<string, CfnParameter>();
  for (const child of productStack.node.findAll()) {
    if (child instanceof CfnParameter) parameters.set(String(productStack.resolve(child.logicalId)), child);
  }
  const names = new Set<string>();
  rules.forEach((rule, i) => {
    const label = `parameterRules[${i}]`;
    const parameter = parameters.get(rule.parameter);
    if (!parameter) {
      check.add(`${label} narrows parameter "${rule.parameter}", which product stack ${productStack.node.path} does not have `
        + `(its parameters: ${[...parameters.keys()].join(', ') || 'none'})`);
    }
    check.require(rule.allowedValues.length > 0, `${label} on "${rule.parameter}" must allow at least one value: a rule without values refuses every launch`);
    const own = parameter?.allowedValues;
    if (own && !Token.isUnresolved(own)) {
      const refused = rule.allowedValues.filter((v) => !Token.isUnresolved(v) && !own.includes(v));
      check.require(refused.length === 0, `${label} allows ${refused.join(', ')}, which parameter "${rule.parameter}" itself does not accept (its AllowedValues: ${own.join(', ')})`);
    }
    const name = rule.ruleName ?? `${rule.parameter}AllowedValues`;
    check.require(!names.has(name), `${label}: rule name "${name}" is used twice; each rule of a product needs its own name`);
    names.add(name);
  });
}

