import { sqsIntegrationSuite } from './sqs-integration-suite.ts';

sqsIntegrationSuite('elasticmq');
