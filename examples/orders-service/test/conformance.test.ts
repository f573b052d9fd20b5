import { conformance } from 'brokerproof/vitest';

conformance('./brokerproof.config.ts');
