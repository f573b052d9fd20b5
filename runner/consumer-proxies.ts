/**
 * One Toxiproxy proxy per consumer of a case, so a network fault can cut one consumer's link while
 * the others keep theirs (`partition@consumer`). Each leads where the consumers' role proxy leads,
 * listens on a port Toxiproxy picks, and lives exactly as long as the case: created in setup,
 * deleted in teardown (also after errors and Ctrl-C).
 */

import { connect } from 'node:net';
import type { ProxyRef } from '../core/brokers.ts';
import { BrokerUnavailableError, describeError } from '../core/errors.ts';
import type { HostPort } from '../provision/endpoints.ts';
import { ToxiproxyApi } from '../provision/toxiproxy-api.ts';

/** A case's per-consumer proxies, by consumer index, and the address each consumer connects to. */
export class ConsumerProxies {
  /** How long creating them took, and deleting them (once deleted): for the report. */
  deleteMs: number | undefined;
  private deleted: Promise<void> | undefined;

  private constructor(
    private readonly api: ToxiproxyApi,
    readonly refs: readonly ProxyRef[],
    readonly vias: readonly HostPort[],
    readonly createMs: number,
  ) {}

  /**
   * `count` proxies named after the case, each a copy of the consumers' role proxy `link` on a
   * free port. Nothing is left behind when one cannot be created.
   */
  static async create(caseId: string, count: number, link: ProxyRef): Promise<ConsumerProxies> {
    const started = Date.now();
    // Short calls: a case must not wait long on a Toxiproxy that does not answer.
    const api = new ToxiproxyApi(link.apiUrl, { timeoutMs: 3_000 });
    const role = await api.proxy(link.proxy);
    if (!role)
      throw new BrokerUnavailableError(
        `the consumers' proxy ${link.proxy} is not in Toxiproxy at ${link.apiUrl}`,
        {
          hint: 'Provision the broker again (`brokerproof brokers up`): it creates the role proxies.',
        },
      );
    const base = proxyBaseName(caseId);
    // Listening where the role proxy listens keeps its exposure (loopback stays loopback).
    const listenHost = hostPort(role.listen).host;
    const created = await Promise.allSettled(
      Array.from({ length: count }, (_, k) =>
        api.createProxy({
          name: `${base}-c${k}`,
          listen: `${bracket(listenHost)}:0`,
          upstream: role.upstream,
        }),
      ),
    );
    const failed = created.find((c): c is PromiseRejectedResult => c.status === 'rejected');
    if (failed) {
      const made = created.flatMap((c) => (c.status === 'fulfilled' ? [c.value.name] : []));
      await Promise.allSettled(made.map((name) => api.deleteProxy(name)));
      throw new Error(`per-consumer proxies could not be created: ${describeError(failed.reason)}`, {
        cause: failed.reason,
      });
    }
    const infos = created.map((c) => (c as PromiseFulfilledResult<{ name: string; listen: string }>).value);
    const proxies = new ConsumerProxies(
      api,
      infos.map((info) => ({ apiUrl: link.apiUrl, proxy: info.name })),
      infos.map((info) => reachableAt(info.listen, link.apiUrl)),
      Date.now() - started,
    );
    // A Toxiproxy in a container publishes its fixed ports only: a picked one is not reachable.
    const unreachable = (await Promise.all(proxies.vias.map((via) => probe(via)))).find((e) => e);
    if (unreachable) {
      await proxies.dispose().catch(() => {});
      throw new BrokerUnavailableError(
        `a per-consumer proxy of Toxiproxy at ${link.apiUrl} cannot be reached from here: ${describeError(unreachable)}`,
        {
          cause: unreachable,
          hint: '@consumer faults need a Toxiproxy whose new listeners this machine can reach (`brokerproof brokers up`, not Docker).',
        },
      );
    }
    return proxies;
  }

  /** Deletes every proxy of the case (at most once; a missing one counts as deleted). */
  dispose(): Promise<void> {
    this.deleted ??= (async () => {
      const started = Date.now();
      const results = await Promise.allSettled(this.refs.map((ref) => this.api.deleteProxy(ref.proxy)));
      this.deleteMs = Date.now() - started;
      const left = (await this.api.proxies().catch(() => ({}))) as Record<string, unknown>;
      const remaining = this.refs.filter((ref) => ref.proxy in left).map((ref) => ref.proxy);
      if (remaining.length > 0) {
        const reason = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
        throw new Error(`per-consumer proxies left in Toxiproxy: ${remaining.join(', ')}`, { cause: reason });
      }
    })();
    return this.deleted;
  }
}

/** `bp-<case id>`, in characters that are safe in Toxiproxy's URL paths. */
export function proxyBaseName(caseId: string): string {
  return `bp-${caseId.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

/** Where a client reaches a listener: its host, or the API's when it listens on every interface. */
function reachableAt(listen: string, apiUrl: string): HostPort {
  const at = hostPort(listen);
  const wildcard = at.host === '' || at.host === '0.0.0.0' || at.host === '::';
  return wildcard ? { host: new URL(apiUrl).hostname.replace(/^\[|\]$/g, ''), port: at.port } : at;
}

const bracket = (host: string) => (host.includes(':') ? `[${host}]` : host);

/** Undefined once a TCP connection to `via` opens (and is closed at once), else why not. */
function probe(via: HostPort, timeoutMs = 1_000): Promise<Error | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: via.host, port: via.port });
    const done = (error?: Error) => {
      socket.destroy();
      resolve(error);
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no connection within ${timeoutMs} ms`)));
    socket.once('connect', () => done());
    socket.once('error', (error) => done(error));
  });
}

/** `127.0.0.1:41234` (or `[::1]:41234`) as a host and a port. */
function hostPort(listen: string): HostPort {
  const at = listen.lastIndexOf(':');
  const host = listen.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(listen.slice(at + 1));
  if (at < 0 || !Number.isInteger(port) || port <= 0)
    throw new Error(`Toxiproxy gave a per-consumer proxy no usable address: ${listen}`);
  return { host, port };
}
