import { defineConfig, defineSetup } from 'brokerproof';

const ordersQueue = defineSetup({
  name: 'orders-queue',
  extends: 'memory/queue-dlq', // with RabbitMQ: 'rabbitmq/quorum', options.queueArguments['x-delivery-limit']
  options: { prefetch: 16, deliveryLimit: 4 },
  claim: { delivery: 'at-least-once', maxAttempts: 4 },
});
const priorityQueue = defineSetup({
  name: 'orders-priority',
  extends: 'memory/queue',
  options: { prefetch: 1 },
});

export default defineConfig({
  driver: 'memory',
  setups: [ordersQueue, priorityQueue],
  handler: './src/orders/handle-order.ts', // runs in place of the built-in processing, crashes and all
  runs: 2,
  messages: 100,
  seed: 42,
  faults: ['consumer-crash'],
});
