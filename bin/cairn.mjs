#!/usr/bin/env node
// The `cairn` command. The CLI is TypeScript (cli/main.ts); the repo needs no build step: the
// first run after a change bundles it with esbuild into node_modules/.cache (bin/cli-bundle.mjs),
// and when that cannot be done it runs through tsx's loader instead (the same code, slower start).
import * as nodeModule from 'node:module';
import { cliBundle } from './cli-bundle.mjs';

const bundle = await cliBundle();
if (bundle) {
  await import(bundle);
} else {
  // tsx registers its loader with module.register(), which Node has from 20.6 on.
  if (typeof nodeModule.register !== 'function') {
    process.stderr.write(`cairn: needs Node.js 20.6 or later (this is ${process.version})\n`);
    process.exit(2);
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
