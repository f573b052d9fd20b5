/** Your handler's consumer died (a planned crash): nothing after this point happened. */
export class ConsumerCrashedError extends Error {
  constructor() {
    super('the consumer crashed here (a planned crash): the rest of the handler never ran');
  }
}
