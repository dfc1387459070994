#!/usr/bin/env node
/**
 * The example app: every pattern's example stacks, checked on every synth.
 *
 *   npx cdk synth                       # all stacks into cdk.out
 *   npx cdk synth -c sandbox=true       # everything destroyable
 */
import { App } from 'aws-cdk-lib';
import { addAllExamples } from '../examples';
import { applyChecks } from './checks';

const app = new App();
addAllExamples(app);
applyChecks(app);
app.synth();
