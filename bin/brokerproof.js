#!/usr/bin/env node
// brokerproof's command. Inside its own repository it runs from the TypeScript sources (no build
// step: `npx brokerproof` works straight after `npm ci`); the installed package ships only the
// build (dist/). tsx is registered either way, so a user's brokerproof.config.ts and handler
// modules load too.
import { existsSync } from 'node:fs';
import { register } from 'tsx/esm/api';

register();
const sources = new URL('../cli/main.ts', import.meta.url);
const { main } = await import(existsSync(sources) ? sources.href : '../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
