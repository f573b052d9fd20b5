/**
 * Toxiproxy's HTTP API (v2) as brokerproof uses it — proxies, toxics, reset — on top of
 * toxiproxy-node-client, adding what that client lacks: a timeout on every call, errors that say
 * what to do, and idempotent helpers (ensure a proxy, heal one proxy).
 */
import { type ICreateToxicBody, Toxiproxy } from 'toxiproxy-node-client';
import { BrokerUnavailableError, describeError } from '../core/errors.ts';

export interface ProxySpec {
  name: string;
  /** `host:port` Toxiproxy listens on. */
  listen: string;
  /** `host:port` of the broker. */
  upstream: string;
  enabled?: boolean;
}

export interface ToxicSpec {
  name?: string;
  type: 'latency' | 'bandwidth' | 'slow_close' | 'timeout' | 'reset_peer' | 'slicer' | 'limit_data' | 'down';
  stream?: 'upstream' | 'downstream';
  toxicity?: number;
  attributes: Record<string, number>;
}

export interface ProxyInfo extends Required<ProxySpec> {
  toxics: Array<ToxicSpec & { name: string }>;
}

export class ToxiproxyApi {
  readonly apiUrl: string;
  private readonly timeoutMs: number;
  private readonly client: Toxiproxy;

  constructor(apiUrl: string, options: { timeoutMs?: number } = {}) {
    this.apiUrl = apiUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.client = new Toxiproxy(this.apiUrl);
  }

  /** Runs one API call with a deadline, turning failures into errors that say what to do. */
  private async call<T>(what: string, action: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return await Promise.race([action(), deadline]);
    } catch (error) {
      throw new BrokerUnavailableError(
        `Toxiproxy at ${this.apiUrl}: ${what} failed: ${describeError(error)}`,
        {
          cause: error,
          hint: 'Start it with `brokerproof brokers up`, or set BROKERPROOF_TOXIPROXY_PORT to where it runs.',
        },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  async version(): Promise<string> {
    const text = (await this.call('GET /version', () => this.client.getVersion())).trim();
    try {
      const parsed = JSON.parse(text) as { version?: string };
      return parsed.version ?? text;
    } catch {
      return text;
    }
  }

  /** True when the API answers. */
  async ping(): Promise<boolean> {
    try {
      await this.version();
      return true;
    } catch {
      return false;
    }
  }

  async proxies(): Promise<Record<string, ProxyInfo>> {
    // The client's Proxy objects leave toxics out; its HTTP client returns the whole listing.
    const { data } = await this.call('GET /proxies', () =>
      this.client.getApi().get(`${this.apiUrl}/proxies`),
    );
    return (data ?? {}) as Record<string, ProxyInfo>;
  }

  async proxy(name: string): Promise<ProxyInfo | undefined> {
    const all = await this.proxies();
    return all[name];
  }

  /** Creates the proxy, or updates it when it exists with other settings; returns it enabled. */
  async ensureProxy(spec: ProxySpec): Promise<ProxyInfo> {
    const existing = await this.proxy(spec.name);
    const wanted = { ...spec, enabled: spec.enabled ?? true };
    if (existing && existing.listen === wanted.listen && existing.upstream === wanted.upstream) {
      if (existing.enabled !== wanted.enabled) await this.setEnabled(spec.name, wanted.enabled);
      return { ...existing, enabled: wanted.enabled };
    }
    // A proxy listening elsewhere (or pointing elsewhere) is replaced.
    if (existing) await this.deleteProxy(spec.name);
    const created = await this.call(`create proxy ${spec.name}`, () => this.client.createProxy(wanted));
    return created.toJson() as ProxyInfo;
  }

  /**
   * Creates a proxy that must not exist yet (a stale one of that name is replaced) and returns it
   * as Toxiproxy started it: with `listen` on port 0, `listen` then holds the port it picked.
   */
  async createProxy(spec: ProxySpec): Promise<ProxyInfo> {
    const wanted = { ...spec, enabled: spec.enabled ?? true };
    try {
      return (
        await this.call(`create proxy ${spec.name}`, () => this.client.createProxy(wanted))
      ).toJson() as ProxyInfo;
    } catch (error) {
      if (!(await this.proxy(spec.name))) throw error;
      await this.deleteProxy(spec.name);
      return (
        await this.call(`create proxy ${spec.name}`, () => this.client.createProxy(wanted))
      ).toJson() as ProxyInfo;
    }
  }

  async deleteProxy(name: string): Promise<void> {
    await this.call(`delete proxy ${name}`, async () => (await this.client.get(name)).remove());
  }

  /** Enables or disables a proxy; a disabled proxy refuses and drops every connection (a partition). */
  async setEnabled(name: string, enabled: boolean): Promise<void> {
    await this.call(`${enabled ? 'enable' : 'disable'} proxy ${name}`, async () => {
      const proxy = await this.client.get(name);
      await proxy.update({ enabled, listen: proxy.listen, upstream: proxy.upstream });
    });
  }

  async addToxic(proxy: string, toxic: ToxicSpec): Promise<string> {
    const body = {
      name: toxic.name ?? `${toxic.type}_${toxic.stream ?? 'downstream'}`,
      type: toxic.type,
      stream: toxic.stream ?? 'downstream',
      toxicity: toxic.toxicity ?? 1,
      attributes: toxic.attributes,
    } as ICreateToxicBody<unknown>;
    const created = await this.call(`add toxic to ${proxy}`, async () =>
      (await this.client.get(proxy)).addToxic(body),
    );
    return created.name;
  }

  async removeToxic(proxy: string, toxic: string): Promise<void> {
    await this.call(`remove toxic ${toxic} from ${proxy}`, async () =>
      (await (await this.client.get(proxy)).getToxic(toxic)).remove(),
    );
  }

  /** Removes every toxic of one proxy and enables it. */
  async heal(proxy: string): Promise<void> {
    const info = await this.proxy(proxy);
    if (!info) return;
    for (const toxic of info.toxics) await this.removeToxic(proxy, toxic.name);
    if (!info.enabled) await this.setEnabled(proxy, true);
  }

  /** Enables every proxy and removes every toxic. */
  async reset(): Promise<void> {
    await this.call('POST /reset', () => this.client.reset());
  }
}
