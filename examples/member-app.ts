/**
 * The app a StackSet's member template is defined in: not the example app, whose stacks are
 * deployed as stacks (IAC-2 `OrganizationStackSet` refuses a template stack of its own app). It
 * has the context (feature flags, sandbox) of the example app and the same checks, so a member
 * template is checked like every stack of the app.
 */
import { App, RemovalPolicies } from 'aws-cdk-lib';
import { applyChecks } from '../lib/checks';
import { Sandbox } from '../lib';

/** A new app for a StackSet's member stack, with the context and checks of `parent`. */
export function stackSetMemberApp(parent: App): App {
  const app = new App({ context: parent.node.getAllContext() as Record<string, unknown> });
  applyChecks(app);
  if (Sandbox.isEnabled(app)) RemovalPolicies.of(app).destroy();
  return app;
}
