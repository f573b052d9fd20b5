import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliProcess } from '../helpers/cli.ts';

const README = new URL('../../README.md', import.meta.url);

interface ReadmeCommand {
  argv: string[];
  expectedExit: number;
  line: string;
}

/**
 * Every `npx brokerproof …` line of the README's shell blocks that needs no real broker, with the
 * exit code the comment under it states ("exit code N"; 0 when it states none).
 */
function memoryCommands(markdown: string): ReadmeCommand[] {
  const commands: ReadmeCommand[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const lines = block[1]!.split('\n');
    for (const [n, raw] of lines.entries()) {
      const match = raw.match(/npx brokerproof ([^#]*)/);
      if (!match) continue;
      const argv = match[1]!.trim().split(/\s+/);
      if (argv[0] === 'brokers') continue;
      const driver = argv[argv.indexOf('--driver') + 1];
      if (argv.includes('--driver') && driver !== 'memory') continue;
      const comment = [raw, lines[n + 1] ?? ''].join(' ');
      const stated = comment.match(/exit code (\d)/);
      commands.push({ argv, expectedExit: stated ? Number(stated[1]) : 0, line: raw.trim() });
    }
  }
  return commands;
}

describe('README commands', () => {
  const commands = memoryCommands(readFileSync(README, 'utf8'));

  it('finds the commands the README shows for the embedded broker', () => {
    expect(commands.map((c) => c.argv.join(' '))).toEqual(
      expect.arrayContaining([
        'run',
        'run --setup auto-ack --scenario work-queue --guarantee at-least-once',
        'run --setup auto-ack --scenario work-queue',
      ]),
    );
    expect(commands.find((c) => c.argv.includes('--guarantee'))?.expectedExit).toBe(1);
  });

  for (const command of commands) {
    it(`\`${command.line}\` exits ${command.expectedExit}`, async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'bp-readme-'));
      const r = await cliProcess([...command.argv, '--no-progress'], { cwd });
      expect(r.code, r.stderr.slice(-2000)).toBe(command.expectedExit);
    }, 120_000);
  }
});
