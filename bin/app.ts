#!/usr/bin/env node
/**
 * The example app: every pattern's example stacks, checked on every synth.
 *
 *   npx cdk synth                       # all stacks into cdk.out
 *   npx cdk synth -c sandbox=true       # everything destroyable
 */
import { App } from 'aws-cdk-lib';
import { addAllExamples } from '../examples';
import { ConstructPropsError } from '../lib/errors';
import { applyChecks, checksSummary } from '../lib/checks';

try {
  const app = new App();
  addAllExamples(app);
  applyChecks(app);
  const assembly = app.synth();
  // stderr, so `cdk synth` prints it and a template piped from stdout stays clean.
  process.stderr.write(`${checksSummary(app, assembly)}\n`);
} catch (error) {
  // A bad context value or prop is the user's to fix: its message, without a stack trace.
  if (error instanceof ConstructPropsError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
