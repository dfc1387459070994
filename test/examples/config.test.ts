/** The example app's context is checked as strictly as its account ids, with one message. */
import { App } from 'aws-cdk-lib';
import { exampleConfig } from '../../examples/config';
import { cdkJsonContext } from '../support/app';

function config(context: Record<string, unknown>) {
  return exampleConfig(new App({ context: { ...cdkJsonContext(), ...context } }));
}

describe('example app context', () => {
  test('cdk.json\'s values are accepted, with Control Tower on and sandbox off by default', () => {
    expect(config({})).toMatchObject({ sandbox: false, controlTower: true, primaryRegion: 'eu-west-1', secondaryRegion: 'eu-central-1' });
    expect(config({ sandbox: 'true', controlTower: 'false' })).toMatchObject({ sandbox: true, controlTower: false });
  });

  test('refuses a sandbox value that is neither true nor false (-c sandbox=yes used to mean false)', () => {
    expect(() => config({ sandbox: 'yes' })).toThrow('App: invalid sandbox context props (1 problem):\n  - the "sandbox" context value must be true or false, got "yes"');
  });

  test('refuses a controlTower value that is neither true nor false', () => {
    expect(() => config({ controlTower: 'maybe' })).toThrow('App: invalid example app context props (1 problem):\n  - the "controlTower" context value must be true or false, got "maybe"');
  });

  test('refuses the same region twice, and lists every problem at once', () => {
    expect(() => config({ secondaryRegion: 'eu-west-1', workloadAccount: '1234' })).toThrow([
      'App: invalid example app context props (2 problems):',
      '  - workloadAccount must be a 12-digit account id, got "1234"',
      '  - secondaryRegion must differ from primaryRegion (replicas and failover need a second region), both are "eu-west-1"',
    ].join('\n'));
  });

  test('refuses a missing key, naming it', () => {
    expect(() => config({ workloadOuId: '' })).toThrow('App: invalid example app context props (1 problem):\n  - context "workloadOuId" is missing: set it in cdk.json or with -c workloadOuId=...');
  });
});
