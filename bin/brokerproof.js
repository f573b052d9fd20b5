#!/usr/bin/env node
// brokerproof runs from its TypeScript sources through tsx: no build step, so `npx brokerproof`
// works straight after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
