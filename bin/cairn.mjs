#!/usr/bin/env node
// The `cairn` command. The CLI is TypeScript (cli/main.ts), run through tsx's loader so the repo
// needs no build step; `npm install -g .` installs this file with tsx as a dependency.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
