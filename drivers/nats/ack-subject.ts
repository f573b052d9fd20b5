/**
 * The two numbers a delivery needs from a JetStream message's ack subject (its reply subject):
 * how many times it was delivered and its stream sequence. nats.js's `JsMsg.info` splits the
 * subject and builds an object of ten fields for this, about 2 µs a message — a tenth of a
 * recorded delivery on the NATS consumer. Both layouts the server writes are read:
 *   $JS.ACK.<stream>.<consumer>.<delivered>.<streamSeq>.<consumerSeq>.<ts>.<pending>
 *   $JS.ACK.<domain>.<accountHash>.<stream>.<consumer>.<delivered>.<streamSeq>.<consumerSeq>.<ts>.<pending>[.<token>]
 * undefined for anything else (the caller then asks nats.js, which names what is wrong).
 */
export function readAckSubject(reply: string): { deliveryCount: number; streamSequence: number } | undefined {
  if (!reply.startsWith('$JS.ACK.')) return undefined;
  // Token starts: dots[k] is the index of the dot before token k+1 (token 0 is "$JS").
  const dots: number[] = [];
  for (let at = reply.indexOf('.'); at >= 0; at = reply.indexOf('.', at + 1)) dots.push(at);
  const tokens = dots.length + 1;
  const first = tokens === 9 ? 4 : tokens >= 11 ? 6 : -1;
  if (first < 0) return undefined;
  const deliveryCount = wholeNumber(reply, dots[first - 1]! + 1, dots[first]!);
  const streamSequence = wholeNumber(reply, dots[first]! + 1, dots[first + 1]!);
  if (deliveryCount === undefined || streamSequence === undefined) return undefined;
  return { deliveryCount, streamSequence };
}

/** The decimal digits in `s[from, to)` as a number; undefined when empty or not all digits. */
function wholeNumber(s: string, from: number, to: number): number | undefined {
  if (to <= from) return undefined;
  let n = 0;
  for (let i = from; i < to; i++) {
    const digit = s.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    n = n * 10 + digit;
  }
  return n;
}
