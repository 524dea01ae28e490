/** Bad queue input from the user: a Redis URL that is wrong or unreachable, a folder that is no search. */
export class QueueError extends Error {
  override name = 'QueueError';
}
