import WebSocket from 'ws';
import type { ClientFrame, ServerFrame } from './frames';

/** Why a connection ended: the close code and reason (4401 `token_expired`, 4000 `meeting_ended`, ...). */
export interface SignalingClose {
  code: number;
  reason: string;
}

/** The signaling connection could not be opened or was refused (`close` says why). */
export class SignalingConnectError extends Error {
  override readonly name = 'SignalingConnectError';

  constructor(
    message: string,
    readonly close?: SignalingClose,
    readonly frame?: ServerFrame,
  ) {
    super(message);
  }
}

/**
 * A participant's end of the signaling WebSocket (used by `npm run demo` and the tests): connects
 * with a join token, keeps every frame it received, and waits for the frame a step needs.
 */
export class SignalingClient {
  /** Every frame received, in order. */
  readonly frames: ServerFrame[] = [];
  /** Resolves when the socket closed. */
  readonly closed: Promise<SignalingClose>;
  private waiters: Array<() => void> = [];
  private closeInfo?: SignalingClose;

  private constructor(private readonly socket: WebSocket) {
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        this.wake();
      }),
    );
    socket.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as ServerFrame);
      this.wake();
    });
  }

  /**
   * Connects to `<baseUrl>/signaling?token=...` and waits for the `welcome` frame.
   * @throws SignalingConnectError with the close code and reason when the service refuses the connection
   */
  static async connect(baseUrl: string, token: string, options: { meetingId?: string; timeoutMs?: number } = {}): Promise<SignalingClient> {
    const url = new URL('/signaling', baseUrl.replace(/^http/, 'ws'));
    url.searchParams.set('token', token);
    if (options.meetingId) url.searchParams.set('meetingId', options.meetingId);
    const socket = new WebSocket(url);
    const client = new SignalingClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (error) => reject(new SignalingConnectError(`signaling connection failed: ${error.message}`)));
      socket.once('open', () => resolve());
    });
    try {
      await client.next((f) => f.type === 'welcome', options.timeoutMs ?? 5000);
    } catch (error) {
      const close = client.closeInfo;
      const refusal = client.frames.find((f) => f.type === 'error');
      throw new SignalingConnectError(close ? `refused: ${close.code} ${close.reason}` : (error as Error).message, close, refusal);
    }
    return client;
  }

  /** The welcome frame (connected peers). */
  get welcome(): Extract<ServerFrame, { type: 'welcome' }> {
    return this.frames.find((f): f is Extract<ServerFrame, { type: 'welcome' }> => f.type === 'welcome')!;
  }

  send(frame: ClientFrame): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** Sends text as it is (to try malformed frames). */
  sendRaw(text: string): void {
    this.socket.send(text);
  }

  /**
   * The first received frame (from `from`, an index into `frames`) that matches.
   * @throws Error naming what it waited for after `timeoutMs` or when the socket closed first
   */
  async next<T extends ServerFrame = ServerFrame>(match: (frame: ServerFrame) => boolean, timeoutMs = 5000, from = 0): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.slice(from).find(match);
      if (found) return found as T;
      if (this.closeInfo) throw new Error(`socket closed (${this.closeInfo.code} ${this.closeInfo.reason}) before the frame came`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms (received: ${this.frames.map((f) => f.type).join(', ')})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Closes the socket (1000) and waits until it is closed. */
  async close(): Promise<SignalingClose> {
    if (!this.closeInfo) this.socket.close(1000, 'bye');
    return this.closed;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
