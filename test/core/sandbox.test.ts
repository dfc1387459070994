import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { exampleApp, synthWithChecks } from '../support/app';

type Resources = Record<string, { Type: string; DeletionPolicy?: string; Properties?: Record<string, unknown> }>;

function stacksOf(context: Record<string, unknown>): Stack[] {
  const app = exampleApp(context);
  synthWithChecks(app);
  return app.node.children.filter((c): c is Stack => c instanceof Stack);
}

describe('sandbox mode across the whole example app', () => {
  const sandboxStacks = stacksOf({ sandbox: 'true' });

  test('-c sandbox=true: no resource in any example stack is retained', () => {
    const retained = sandboxStacks.flatMap((stack) => {
      const resources = Template.fromStack(stack).toJSON().Resources as Resources;
      return Object.entries(resources)
        .filter(([, r]) => r.DeletionPolicy === 'Retain' || r.DeletionPolicy === 'RetainExceptOnCreate' || r.DeletionPolicy === 'Snapshot')
        .map(([id, r]) => `${stack.stackName}/${id} (${r.Type})`);
    });
    expect(retained).toEqual([]);
  });

  test('-c sandbox=true: every bucket is emptied before it is deleted', () => {
    for (const stack of sandboxStacks) {
      const resources = Template.fromStack(stack).toJSON().Resources as Resources;
      const buckets = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::S3::Bucket').map(([id]) => id);
      const emptied = Object.values(resources)
        .filter((r) => r.Type === 'Custom::S3AutoDeleteObjects')
        .map((r) => (r.Properties?.BucketName as { Ref: string }).Ref);
      expect({ stack: stack.stackName, buckets: buckets.sort() }).toEqual({ stack: stack.stackName, buckets: emptied.sort() });
    }
  });

  test('without sandbox, data is kept: every bucket and KMS key is retained', () => {
    for (const stack of stacksOf({})) {
      const resources = Template.fromStack(stack).toJSON().Resources as Resources;
      const dropped = Object.entries(resources)
        .filter(([, r]) => ['AWS::S3::Bucket', 'AWS::KMS::Key'].includes(r.Type) && r.DeletionPolicy !== 'Retain')
        .map(([id]) => `${stack.stackName}/${id}`);
      expect(dropped).toEqual([]);
    }
  });
});
