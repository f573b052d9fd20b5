import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Deque } from '../../drivers/memory/deque.ts';

// The memory queue's ready list: it must behave exactly as an array's push, shift and unshift.
describe('memory queue deque', () => {
  it('behaves as an array under any sequence of push, shift and unshift', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), n: fc.integer({ min: 1, max: 3000 }) }),
      fc.record({ kind: fc.constant('shift' as const), n: fc.integer({ min: 1, max: 3000 }) }),
      fc.record({ kind: fc.constant('unshift' as const), n: fc.integer({ min: 1, max: 50 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const deque = new Deque<number>();
        const array: number[] = [];
        let next = 0;
        for (const { kind, n } of ops) {
          for (let k = 0; k < n; k++) {
            if (kind === 'push') {
              deque.push(next);
              array.push(next++);
            } else if (kind === 'unshift') {
              deque.unshift(next);
              array.unshift(next++);
            } else expect(deque.shift()).toBe(array.shift());
            expect(deque.length).toBe(array.length);
          }
        }
        while (array.length > 0) expect(deque.shift()).toBe(array.shift());
        expect(deque.shift()).toBeUndefined();
      }),
      { numRuns: 60 },
    );
  });
});
