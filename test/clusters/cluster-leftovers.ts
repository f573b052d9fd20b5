/** What a cluster of `broker` may leave behind: its namespaces, its veths, node processes under `dir`. */
import { execFileSync } from 'node:child_process';

const sh = (command: string, ...args: string[]) => execFileSync(command, args, { encoding: 'utf8' });

export function clusterLeftovers(broker: string, dir: string, server: string) {
  const prefix = `bpc-${broker}-`;
  return {
    netns: sh('ip', 'netns', 'list').includes(prefix),
    links: sh('ip', '-o', 'link', 'show').includes(prefix),
    processes: sh('ps', '-eo', 'args')
      .split('\n')
      .some((line) => line.includes(server) && line.includes(dir)),
  };
}
