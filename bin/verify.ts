#!/usr/bin/env node
/**
 * `npm run verify -- [stack ...] [options]`: checks what is deployed against cdk.out.
 * The command itself lives in lib/verify/cli.ts, which the published package ships as the
 * `cdk-patterns-verify` executable.
 */
import { run } from '../lib/verify/cli';

run();
