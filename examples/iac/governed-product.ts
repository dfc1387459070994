/**
 * IAC-4 example: in the workload account, a Service Catalog product that creates an EC2 launch
 * template (IMDSv2 required, encrypted root volume) whose instance type developers choose from an
 * allowed list; developers launch it through Service Catalog with no EC2 or CloudFormation rights.
 */
import { App, CfnParameter, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as servicecatalog from 'aws-cdk-lib/aws-servicecatalog';
import { Construct } from 'constructs';
import { GovernedProduct } from '../../lib';
import { env, ExampleConfig } from '../config';

/** The instance types developers may choose. */
export const ALLOWED_INSTANCE_TYPES = ['t3.micro', 't3.small', 't3.medium'];

/** The product: a launch template whose instance type is a parameter. */
export class TeamInstanceProduct extends servicecatalog.ProductStack {
  constructor(scope: Construct, id: string) {
    super(scope, id, { description: 'IAC-4 product: an EC2 launch template with IMDSv2 required and an encrypted root volume' });
    const instanceType = new CfnParameter(this, 'InstanceType', {
      type: 'String',
      default: 't3.micro',
      description: 'The EC2 instance type of instances launched from the template',
    });
    new ec2.CfnLaunchTemplate(this, 'Template', {
      launchTemplateData: {
        instanceType: instanceType.valueAsString,
        metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled', httpPutResponseHopLimit: 1 },
        blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { encrypted: true, volumeSize: 8, volumeType: 'gp3', deleteOnTermination: true } }],
      },
    });
  }
}

/** The governed product, and the developers' role that may launch it. */
export class GovernedProductStack extends Stack {
  public readonly product: GovernedProduct;
  public readonly developers: iam.Role;

  constructor(scope: Construct, id: string, props: StackProps & { account: string }) {
    super(scope, id, props);
    this.developers = new iam.Role(this, 'Developers', {
      assumedBy: new iam.AccountPrincipal(props.account),
      description: 'Developers who launch team instances through Service Catalog',
    });
    const launchTemplates = this.formatArn({ service: 'ec2', resource: 'launch-template', resourceName: '*' });
    // Only through CloudFormation: the launch role's credentials serve for the product's stack alone.
    const throughCloudFormation = { 'ForAnyValue:StringEquals': { 'aws:CalledVia': ['cloudformation.amazonaws.com'] } };
    this.product = new GovernedProduct(this, 'TeamInstance', {
      productStack: new TeamInstanceProduct(this, 'TeamInstanceProduct'),
      productName: 'Team instance template',
      owner: 'Platform team',
      launchRoleStatements: [
        new iam.PolicyStatement({
          sid: 'LaunchTemplates',
          actions: ['ec2:CreateLaunchTemplate', 'ec2:CreateLaunchTemplateVersion', 'ec2:ModifyLaunchTemplate', 'ec2:DeleteLaunchTemplate', 'ec2:CreateTags', 'ec2:DeleteTags'],
          resources: [launchTemplates],
          conditions: throughCloudFormation,
        }),
        new iam.PolicyStatement({
          sid: 'ReadLaunchTemplates',
          actions: ['ec2:DescribeLaunchTemplates', 'ec2:DescribeLaunchTemplateVersions'],
          resources: ['*'],
          conditions: throughCloudFormation,
        }),
      ],
      parameterRules: [{ parameter: 'InstanceType', allowedValues: ALLOWED_INSTANCE_TYPES }],
      endUsers: [this.developers],
    });
    // This app's own grants, acknowledged by the app.
    this.product.launchRole.acknowledgeWildcardResource(launchTemplates,
      'Launch template ids are assigned when CloudFormation creates them, so the launch role may manage launch templates of this account and region, only through CloudFormation.');
    this.product.launchRole.acknowledgeWildcardResource('*',
      'DescribeLaunchTemplates and DescribeLaunchTemplateVersions support no resource-level permissions; they are allowed only through CloudFormation.');
  }
}

/** The IAC-4 example stacks. */
export interface GovernedProductExamples {
  readonly governedProduct: GovernedProductStack;
}

/** Adds the IAC-4 example stack to `app`. */
export function addGovernedProductExamples(app: App, config: ExampleConfig): GovernedProductExamples {
  const governedProduct = new GovernedProductStack(app, 'Iac4-GovernedProduct', {
    env: env(config.workloadAccount, config.primaryRegion),
    account: config.workloadAccount,
    description: 'IAC-4 GovernedProduct: a Service Catalog product with a launch role, allowed instance types, and developers with Service Catalog rights only',
  });
  return { governedProduct };
}
