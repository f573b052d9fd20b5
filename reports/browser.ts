/**
 * The Chromium brokerproof drives (for PDFs and the browser tests): the system's own build, found on
 * the machine — a browser is never downloaded. BROKERPROOF_CHROMIUM names one explicitly.
 */
import { accessSync, constants } from 'node:fs';
import { BrokerproofError } from '../core/errors.ts';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The Chromium executable to use, or undefined when there is none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const named = env.BROKERPROOF_CHROMIUM;
  if (named) return executable(named) ? named : undefined;
  return CANDIDATES.find(executable);
}

export class NoChromiumError extends BrokerproofError {}

export function requireChromium(env: NodeJS.ProcessEnv = process.env): string {
  const path = findChromium(env);
  if (path) return path;
  throw new NoChromiumError(
    env.BROKERPROOF_CHROMIUM
      ? `no Chromium at BROKERPROOF_CHROMIUM=${env.BROKERPROOF_CHROMIUM} (not an executable file)`
      : 'no Chromium found: printing a PDF needs a Chromium or Chrome on this machine',
    {
      hint: 'Install it (Debian/Ubuntu: `apt-get install chromium`) or set BROKERPROOF_CHROMIUM to its executable.',
    },
  );
}

/** Launches headless Chromium through playwright-core (loaded on demand: only PDFs and tests need it). */
export async function launchChromium(executablePath: string) {
  const { chromium } = await import('playwright-core');
  // As root (CI containers) Chromium refuses to start without --no-sandbox.
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  return chromium.launch({ executablePath, headless: true, args });
}
