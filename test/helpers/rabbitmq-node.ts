/**
 * The local RabbitMQ node's own view, through `rabbitmqctl eval`: for tests that need the broker in
 * a state no client can put it in (a quorum queue's leader that does not answer).
 */
import { rabbitmqctl } from '../../provision/local/brokers/rabbitmq.ts';
import { localContext } from '../../provision/local/index.ts';
import { stateDirOf } from '../../provision/local/supervisor.ts';

/** Evaluates an Erlang expression on the local node; its printed result. */
export async function rabbitEval(expression: string): Promise<string> {
  const ctx = localContext();
  const result = await rabbitmqctl(ctx, stateDirOf(ctx, 'rabbitmq'), ['eval', expression]);
  if (!result)
    throw new Error('rabbitmqctl is not installed: `npx brokerproof brokers up --only rabbitmq` installs it');
  if (result.code !== 0) throw new Error(`rabbitmqctl eval failed (${result.code}): ${result.output.trim()}`);
  return result.output.trim();
}

/**
 * Suspends (or resumes) the Ra server behind quorum queue `queue` in vhost `/`: it takes no
 * message until resumed, as a leader busy recovering its log after a restart.
 */
export async function suspendQuorumLeader(queue: string, suspend: boolean): Promise<void> {
  const name = queue.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
  await rabbitEval(
    `{ok, Q} = rabbit_amqqueue:lookup(rabbit_misc:r(<<"/">>, queue, <<"${name}">>)), ` +
      `{Ra, _} = amqqueue:get_pid(Q), sys:${suspend ? 'suspend' : 'resume'}(whereis(Ra)).`,
  );
}
