import { Duration } from 'aws-cdk-lib';
import { AppSpec, AppSpecDeploymentType, AppSpecOperatingSystem, DeploymentHook, FileExistsBehavior, PermissionObjectType } from '../../lib';

describe('CICD-4 AppSpec builder', () => {
  test('writes files, permissions and hooks in the order CodeDeploy runs them, default timeout 3600', () => {
    const appSpec = new AppSpec({
      deploymentType: AppSpecDeploymentType.IN_PLACE,
      files: [{ source: 'site', destination: '/usr/share/nginx/html' }],
      fileExistsBehavior: FileExistsBehavior.OVERWRITE,
      permissions: [{ path: '/usr/share/nginx/html', owner: 'nginx', group: 'nginx', mode: '644', appliesTo: [PermissionObjectType.FILE] }],
    });
    // Added out of order on purpose.
    appSpec.addHook(DeploymentHook.VALIDATE_SERVICE, { location: 'scripts/validate.sh', timeout: Duration.minutes(5), runas: 'nginx' });
    appSpec.addHook(DeploymentHook.APPLICATION_START, { location: 'scripts/start.sh' });
    appSpec.addHook(DeploymentHook.BEFORE_INSTALL, { location: 'scripts/backup.sh', timeout: Duration.seconds(3600) });
    appSpec.addHook(DeploymentHook.AFTER_INSTALL, { location: 'scripts/configure.sh', timeout: Duration.seconds(60) });
    appSpec.addHook(DeploymentHook.APPLICATION_STOP, { location: 'scripts/stop.sh', timeout: Duration.seconds(120) });
    expect(appSpec.toYaml()).toBe([
      'version: 0.0',
      'os: linux',
      'files:',
      '  - source: site',
      '    destination: /usr/share/nginx/html',
      'file_exists_behavior: OVERWRITE',
      'permissions:',
      '  - object: /usr/share/nginx/html',
      '    owner: nginx',
      '    group: nginx',
      '    mode: 644',
      '    type:',
      '      - file',
      'hooks:',
      '  ApplicationStop:',
      '    - location: scripts/stop.sh',
      '      timeout: 120',
      '  BeforeInstall:',
      '    - location: scripts/backup.sh',
      '      timeout: 3600',
      '  AfterInstall:',
      '    - location: scripts/configure.sh',
      '      timeout: 60',
      '  ApplicationStart:',
      '    - location: scripts/start.sh',
      '      timeout: 3600',
      '  ValidateService:',
      '    - location: scripts/validate.sh',
      '      timeout: 300',
      '      runas: nginx',
      '',
    ].join('\n'));
  });

  test('in place behind a load balancer: block-traffic hooks first, allow-traffic hooks last', () => {
    const appSpec = new AppSpec({
      hooks: [
        { hook: DeploymentHook.AFTER_ALLOW_TRAFFIC, scripts: [{ location: 'a.sh' }] },
        { hook: DeploymentHook.APPLICATION_START, scripts: [{ location: 'b.sh' }] },
        { hook: DeploymentHook.BEFORE_BLOCK_TRAFFIC, scripts: [{ location: 'c.sh' }] },
      ],
    });
    expect(appSpec.hookNames).toEqual(['BeforeBlockTraffic', 'ApplicationStart', 'AfterAllowTraffic']);
  });

  test('blue/green: says which fleet each hook runs on, block-traffic hooks (blue) last', () => {
    const appSpec = new AppSpec({ deploymentType: AppSpecDeploymentType.BLUE_GREEN });
    appSpec.addHook(DeploymentHook.AFTER_BLOCK_TRAFFIC, { location: 'drain.sh', timeout: Duration.seconds(30) });
    appSpec.addHook(DeploymentHook.BEFORE_ALLOW_TRAFFIC, { location: 'warm.sh', timeout: Duration.seconds(30) });
    expect(appSpec.toYaml()).toBe([
      'version: 0.0',
      'os: linux',
      'hooks:',
      '  # runs on the replacement (green) instances',
      '  BeforeAllowTraffic:',
      '    - location: warm.sh',
      '      timeout: 30',
      '  # runs on the original (blue) instances',
      '  AfterBlockTraffic:',
      '    - location: drain.sh',
      '      timeout: 30',
      '',
    ].join('\n'));
  });

  test('quotes values YAML would misread', () => {
    const yaml = new AppSpec({ files: [{ source: 'yes', destination: '/opt/app: v2' }] }).toYaml();
    expect(yaml).toContain('  - source: "yes"\n    destination: "/opt/app: v2"\n');
  });

  test('toShellCommand writes exactly the YAML into appspec.yml', () => {
    const appSpec = new AppSpec({ deploymentType: AppSpecDeploymentType.IN_PLACE, hooks: [{ hook: DeploymentHook.APPLICATION_START, scripts: [{ location: 'start.sh' }] }] });
    const command = appSpec.toShellCommand();
    const match = /^echo ([A-Za-z0-9+/=]+) \| base64 -d > appspec\.yml$/.exec(command);
    expect(match).not.toBeNull();
    expect(Buffer.from(match![1], 'base64').toString('utf8')).toBe(appSpec.toYaml());
  });

  describe('refusals', () => {
    test('refuses a hook that does not exist', () => {
      expect(() => new AppSpec().addHook('AfterDeploy' as DeploymentHook, { location: 'x.sh' }))
        .toThrow(/^AppSpec: invalid AppSpec props \(1 problem\):\n {2}- unknown hook "AfterDeploy": CodeDeploy knows ApplicationStop, BeforeInstall/);
    });

    test('refuses a lifecycle event reserved for CodeDeploy', () => {
      expect(() => new AppSpec().addHook('Install' as DeploymentHook, { location: 'x.sh' }))
        .toThrow(/Install is reserved for CodeDeploy: no script can run in it/);
    });

    test('refuses traffic hooks in an in-place deployment without a load balancer', () => {
      expect(() => new AppSpec({ deploymentType: AppSpecDeploymentType.IN_PLACE }).addHook(DeploymentHook.BEFORE_ALLOW_TRAFFIC, { location: 'x.sh' }))
        .toThrow(/BeforeAllowTraffic does not run in an in-place deployment without a load balancer: traffic hooks need a load balancer/);
    });

    test('refuses scripts of one lifecycle event whose timeouts add up to more than 3600 seconds, also across addHook calls', () => {
      expect(() => new AppSpec({ hooks: [{ hook: DeploymentHook.BEFORE_INSTALL, scripts: [
        { location: 'a.sh', timeout: Duration.minutes(40) }, { location: 'b.sh', timeout: Duration.minutes(30) },
      ] }] })).toThrow(/BeforeInstall scripts have timeouts that add up to 4200 s: CodeDeploy allows 3600 s for all the scripts of one lifecycle event/);
      const appSpec = new AppSpec({ hooks: [{ hook: DeploymentHook.AFTER_INSTALL, scripts: [{ location: 'a.sh', timeout: Duration.minutes(50) }] }] });
      expect(() => appSpec.addHook(DeploymentHook.AFTER_INSTALL, { location: 'b.sh', timeout: Duration.minutes(20) }))
        .toThrow(/AfterInstall scripts have timeouts that add up to 4200 s/);
    });

    test('several scripts in one event: a script without a timeout is left to CodeDeploy, so the written timeouts stay within 3600 s', () => {
      const appSpec = new AppSpec({ hooks: [{ hook: DeploymentHook.BEFORE_INSTALL, scripts: [
        { location: 'unzip-resources.sh' }, { location: 'unzip-data.sh', timeout: Duration.minutes(10) },
      ] }] });
      expect(appSpec.toYaml()).toContain([
        '  BeforeInstall:',
        '    - location: unzip-resources.sh',
        '    - location: unzip-data.sh',
        '      timeout: 600',
      ].join('\n'));
    });

    test('refuses a script timeout over 3600 seconds', () => {
      expect(() => new AppSpec({ hooks: [{ hook: DeploymentHook.VALIDATE_SERVICE, scripts: [{ location: 'v.sh', timeout: Duration.seconds(3601) }] }] }))
        .toThrow(/ValidateService script v.sh has a timeout of 3601 s: CodeDeploy allows 1 to 3600 s per script/);
    });

    test('refuses Linux-only sections on Windows, listing every problem', () => {
      expect(() => new AppSpec({
        os: AppSpecOperatingSystem.WINDOWS,
        permissions: [{ path: 'C:\\app' }],
        hooks: [{ hook: DeploymentHook.APPLICATION_START, scripts: [{ location: 'start.ps1', runas: 'Administrator' }] }],
      })).toThrow(/\(2 problems\)[\s\S]*permissions are only applied on Linux[\s\S]*supports runas only on Linux/);
    });

    test('refuses a mode that is not octal', () => {
      expect(() => new AppSpec({ permissions: [{ path: '/opt/app', mode: 'rwx' }] }))
        .toThrow(/permissions\[0\]\.mode must be three or four octal digits, got "rwx"/);
    });
  });
});
