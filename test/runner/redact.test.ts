import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../runner/run-result.ts';

describe('redactSecrets', () => {
  it('removes secret-named values and passwords inside URLs, keeps the rest', () => {
    const redacted = redactSecrets({
      drivers: {
        rabbitmq: { url: 'amqp://guest:s3cret@127.0.0.1:5672/vhost', password: 'hunter2', prefetch: 10 },
        sqs: {
          endpoint: 'http://127.0.0.1:9324',
          accessKeyId: 'AKIA…',
          secretAccessKey: 'xyz',
          region: 'eu-west-1',
        },
        kafka: { sasl: { mechanism: 'plain', username: 'u', password: 'p' }, brokers: ['127.0.0.1:9092'] },
      },
    });
    const text = JSON.stringify(redacted);
    for (const secret of ['s3cret', 'hunter2', 'AKIA', 'xyz', '"p"']) expect(text).not.toContain(secret);
    expect(redacted.drivers.rabbitmq.url).toBe('amqp://guest:[redacted]@127.0.0.1:5672/vhost');
    expect(redacted.drivers.rabbitmq.prefetch).toBe(10);
    expect(redacted.drivers.sqs.region).toBe('eu-west-1');
    expect(redacted.drivers.kafka.brokers).toEqual(['127.0.0.1:9092']);
  });
});
