/** A refused admin command: the message is for the operator and the CLI exits non-zero. */
export class AdminError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminError';
  }
}
