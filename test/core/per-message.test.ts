import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytes, float64s, MessageSlots, plannedNumber, SlotColumn } from '../../core/per-message.ts';

describe('per-message slots and columns', () => {
  it('reads n from the ids the runner makes (m<n>) and nothing from any other id', () => {
    expect(plannedNumber('m0')).toBe(0);
    expect(plannedNumber('m123456')).toBe(123456);
    expect(plannedNumber('m999999999')).toBe(999_999_999);
    for (const id of ['m', 'm01', 'mx', 'm1a', 'x1', '', 'm-1', 'm1.5', 'm9999999999', 'M1', 'm 1'])
      expect(plannedNumber(id), id).toBe(-1);
    expect(plannedNumber('m1073741824')).toBe(-1); // 2^30: kept like any other id
  });

  it('gives every distinct id a distinct slot, the same one each time', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.nat(5000).map((n) => `m${n}`),
            fc.string({ maxLength: 6 }),
          ),
          { maxLength: 200 },
        ),
        (ids) => {
          const slots = new MessageSlots();
          const seen = new Map<string, number>();
          for (const id of ids) {
            const slot = slots.slot(id);
            if (seen.has(id)) expect(slot).toBe(seen.get(id));
            seen.set(id, slot);
          }
          expect(new Set(seen.values()).size).toBe(seen.size);
        },
      ),
    );
  });

  it('a column reads back what was set at any slot, and its empty value elsewhere', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -5000, max: 50_000 }), fc.double({ noNaN: true })), {
          maxLength: 100,
        }),
        fc.integer({ min: -6000, max: 60_000 }),
        (writes, probe) => {
          const column = new SlotColumn(float64s, Number.NaN);
          const model = new Map<number, number>();
          for (const [slot, value] of writes) {
            column.set(slot, value);
            model.set(slot, value);
          }
          for (const [slot, value] of model) expect(column.get(slot)).toBe(value);
          if (!model.has(probe)) expect(column.get(probe)).toBeNaN();
        },
      ),
    );
  });

  it('keeps a flag for each of a million planned ids', () => {
    const column = new SlotColumn(bytes);
    const slots = new MessageSlots();
    for (let n = 0; n < 1_000_000; n++) column.set(slots.slot(`m${n}`), 1);
    expect(column.get(slots.slot('m999999'))).toBe(1);
    expect(column.get(slots.slot('m1000000'))).toBe(0);
  });
});
