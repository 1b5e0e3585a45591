#!/usr/bin/env node
// The `cairn` command. The CLI is TypeScript (cli/main.ts), run through tsx's loader so the repo
// needs no build step; `npm install -g .` installs this file with tsx as a dependency.
import * as nodeModule from 'node:module';

// tsx registers its loader with module.register(), which Node has from 20.6 on.
if (typeof nodeModule.register !== 'function') {
  process.stderr.write(`cairn: needs Node.js 20.6 or later (this is ${process.version})\n`);
  process.exit(2);
}
const { register } = await import('tsx/esm/api');
register();
await import('../cli/main.ts');
