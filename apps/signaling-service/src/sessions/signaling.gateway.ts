import { Inject, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { OnGatewayConnection, OnGatewayDisconnect, WebSocketGateway } from '@nestjs/websockets';
import { randomUUID } from 'crypto';
import type { IncomingMessage } from 'http';
import { hostname } from 'os';
import type { RawData, WebSocket } from 'ws';
import { CHANNELS, ClientFrame, JoinTokenError, readClientFrame, SIGNAL_CLOSE_CODES, SignalRefusal, verifyJoinToken } from '@meeting/contracts';
import { QueueManager } from '@meeting/queue';
import { HEARTBEAT_MS, INSTANCE_TTL_MS, PRESENCE_REPOSITORY, PresenceEntry, PresenceRepository } from '../presence/presence-repository';
import { lostEntries, PresenceSweeper } from '../presence/presence-sweeper';
import { MeetingRelay } from './meeting-relay';
import type { RelayMessage } from './relay-messages';
import { send, sendRelayed, sendWelcome, Session } from './session';
import { SessionRegistry } from './session-registry';
import { SIGNALING_OPTIONS, SignalingOptions } from './signaling-options';

/** Path of the signaling WebSocket: `ws://<host>:<port>/signaling?token=<join token>[&meetingId=<id>]`. */
export const SIGNALING_PATH = '/signaling';

/**
 * The signaling WebSocket (protocol in docs/signaling.md). A connection is admitted with a join
 * token signed by the meeting-service, for its meeting only; frames are checked one by one (a bad
 * frame gets an `error` frame, the session stays open); offers, answers and ICE candidates reach the
 * named peer through the meeting's relay channel, whichever instance holds it.
 */
@WebSocketGateway({ path: SIGNALING_PATH, maxPayload: 1024 * 1024 })
export class SignalingGateway implements OnGatewayConnection, OnGatewayDisconnect, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Signaling');
  private readonly instance = `${hostname()}:${process.pid}:${randomUUID().slice(0, 6)}`;
  /** Frames of a session are handled one after another (an offer is relayed before the ICE candidates sent after it). */
  private readonly queues = new WeakMap<WebSocket, Promise<void>>();
  private heartbeat?: NodeJS.Timeout;
  private sweep?: NodeJS.Timeout;

  constructor(
    private readonly sessions: SessionRegistry,
    private readonly relay: MeetingRelay,
    private readonly manager: QueueManager,
    @Inject(PRESENCE_REPOSITORY) private readonly presence: PresenceRepository,
    @Inject(SIGNALING_OPTIONS) private readonly options: SignalingOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    this.relay.onMessage((meetingId, message) => this.deliver(meetingId, message));
    await this.presence.heartbeat(this.instance, INSTANCE_TTL_MS);
    this.heartbeat = setInterval(() => {
      this.presence.heartbeat(this.instance, INSTANCE_TTL_MS).catch((error: Error) => this.logger.warn(`heartbeat failed: ${error.message}`));
    }, HEARTBEAT_MS).unref();
    // crashed instances' entries are dropped even in meetings nobody looks at: a bounded step per interval, never two at once
    const sweeper = new PresenceSweeper(this.presence, this.instance, (meetingId, entry) => this.expire(meetingId, entry));
    let sweeping = false;
    this.sweep = setInterval(() => {
      if (sweeping) return;
      sweeping = true;
      sweeper
        .step()
        .catch((error: Error) => this.logger.warn(`presence sweep failed: ${error.message}`))
        .finally(() => (sweeping = false));
    }, this.options.sweepIntervalMs ?? HEARTBEAT_MS).unref();
    if (this.options.developmentSecret) this.logger.warn('JOIN_TOKEN_SECRET is not set: join tokens use the development secret (set it outside development)');
  }

  handleConnection(socket: WebSocket, request: IncomingMessage): void {
    const admitted = this.admit(socket, request).catch((error: unknown) => {
      this.logger.error(`admission failed: ${error instanceof Error ? error.message : String(error)}`);
      socket.close(1011, 'internal_error');
    });
    this.queues.set(socket, admitted);
    socket.on('message', (data: RawData, isBinary: boolean) => this.enqueue(socket, () => this.onFrame(socket, data, isBinary)));
  }

  handleDisconnect(socket: WebSocket): void {
    this.enqueue(socket, () => this.release(socket, 'left'));
  }

  /** Shutdown, first step (before the manager and the relay close): every session ends with `shutdown`, peers hear `peer.left`. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.heartbeat);
    clearInterval(this.sweep);
    await Promise.all(
      this.sessions.all().map(async (session) => {
        await this.release(session.socket, 'shutdown');
        session.socket.close(1001, 'shutdown');
      }),
    );
    await this.presence.retire(this.instance).catch(() => undefined);
  }

  private enqueue(socket: WebSocket, work: () => Promise<void>): void {
    const next = (this.queues.get(socket) ?? Promise.resolve()).then(work).catch((error: unknown) => {
      this.logger.error(`session work failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    this.queues.set(socket, next);
  }

  private async admit(socket: WebSocket, request: IncomingMessage): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://signaling');
    let grant;
    try {
      grant = verifyJoinToken(url.searchParams.get('token') ?? '', this.options.tokenSecret);
    } catch (error) {
      const code = error instanceof JoinTokenError ? error.code : 'token_invalid';
      return this.refuse(socket, SIGNAL_CLOSE_CODES.unauthorized, code, `join token refused: ${(error as Error).message}`);
    }
    const asked = url.searchParams.get('meetingId');
    if (asked !== null && asked !== grant.meetingId) {
      return this.refuse(socket, SIGNAL_CLOSE_CODES.forbidden, 'wrong_meeting', `the token is for another meeting than "${asked.slice(0, 64)}"`);
    }
    if (await this.presence.isEnded(grant.meetingId)) {
      return this.refuse(socket, SIGNAL_CLOSE_CODES.gone, 'meeting_ended', `meeting "${grant.meetingId}" has ended`);
    }
    const removedSeq = await this.presence.removedSeq(grant.meetingId, grant.participantId);
    if (removedSeq !== undefined && (grant.seq ?? 0) < removedSeq) {
      return this.refuse(
        socket,
        SIGNAL_CLOSE_CODES.forbidden,
        'removed',
        `participant "${grant.participantId}" was removed from meeting "${grant.meetingId}" after this token was issued (admit it again for a new token)`,
      );
    }
    const session: Session = {
      sessionId: `s-${randomUUID()}`,
      meetingId: grant.meetingId,
      participantId: grant.participantId,
      name: grant.name,
      socket,
      held: [],
    };
    if (socket.readyState !== socket.OPEN) return;
    this.sessions.add(session);
    await this.relay.join(session.meetingId);
    const entry = {
      participantId: session.participantId,
      name: session.name,
      sessionId: session.sessionId,
      instance: this.instance,
      connectedAt: new Date().toISOString(),
      muted: false,
    };
    const previous = await this.presence.put(session.meetingId, entry);
    if (previous) await this.relay.publish(session.meetingId, { kind: 'session.replaced', participantId: session.participantId, sessionId: session.sessionId });
    const peers = (await this.livePresence(session.meetingId)).filter((p) => p.participantId !== session.participantId);
    sendWelcome(session, {
      type: 'welcome',
      meetingId: session.meetingId,
      participantId: session.participantId,
      sessionId: session.sessionId,
      peers: peers.map((p) => ({ participantId: p.participantId, name: p.name, muted: p.muted })),
    });
    await this.relay.publish(session.meetingId, {
      kind: 'peer.joined',
      participantId: session.participantId,
      name: session.name,
      sessionId: session.sessionId,
    });
    await this.announce('session.opened', {
      meetingId: session.meetingId,
      participantId: session.participantId,
      sessionId: session.sessionId,
      instance: this.instance,
    });
    this.logger.log(`meeting ${session.meetingId}: ${session.participantId} connected (${session.sessionId}, ${peers.length} peer(s))`);
  }

  private refuse(socket: WebSocket, closeCode: number, code: SignalRefusal, message: string): void {
    this.logger.warn(`connection refused: ${code}`);
    send({ socket }, { type: 'error', code, message });
    socket.close(closeCode, code);
  }

  private async onFrame(socket: WebSocket, data: RawData, isBinary: boolean): Promise<void> {
    const session = this.sessions.of(socket);
    if (!session || session.closing) return;
    const read = isBinary
      ? ({ error: { type: 'error', code: 'bad_json', message: 'binary frames are not part of the protocol' } } as const)
      : readClientFrame(data.toString());
    if ('error' in read) return send(session, read.error);
    await this.handle(session, read.frame);
  }

  private async handle(session: Session, frame: ClientFrame): Promise<void> {
    switch (frame.type) {
      case 'ping':
        return send(session, { type: 'pong', ref: frame.ref });
      case 'mute':
      case 'unmute': {
        const muted = frame.type === 'mute';
        if (!(await this.presence.setMuted(session.meetingId, session.participantId, session.sessionId, muted))) return;
        await this.relay.publish(session.meetingId, { kind: muted ? 'peer.muted' : 'peer.unmuted', participantId: session.participantId });
        return this.announce('session.muted', { meetingId: session.meetingId, participantId: session.participantId, muted });
      }
      case 'offer':
      case 'answer':
      case 'ice': {
        const peer = frame.to === session.participantId ? undefined : await this.livePeer(session.meetingId, frame.to);
        if (!peer)
          return send(session, {
            type: 'error',
            code: 'unknown_peer',
            message: `"${frame.to}" is not connected to meeting ${session.meetingId}`,
            ref: frame.ref,
          });
        return this.relay.publish(session.meetingId, { kind: 'signal', from: session.participantId, to: frame.to, frame });
      }
    }
  }

  private async release(socket: WebSocket, reason: string): Promise<void> {
    const removed = this.sessions.remove(socket);
    if (!removed) return;
    const { session, last } = removed;
    const why = session.closing ?? reason;
    if (why !== 'replaced' && (await this.presence.remove(session.meetingId, session.participantId, session.sessionId))) {
      await this.relay.publish(session.meetingId, { kind: 'peer.left', participantId: session.participantId, sessionId: session.sessionId, reason: why });
      await this.announce('session.closed', { meetingId: session.meetingId, participantId: session.participantId, sessionId: session.sessionId, reason: why });
    }
    if (last) await this.relay.leave(session.meetingId);
    this.logger.log(`meeting ${session.meetingId}: ${session.participantId} disconnected (${why})`);
  }

  /** The meeting's presence without the entries of instances that stopped renewing their heartbeat (those are removed: lost). */
  private async livePresence(meetingId: string): Promise<PresenceEntry[]> {
    const entries = await this.presence.list(meetingId);
    const lost = await lostEntries(this.presence, this.instance, entries);
    await Promise.all(lost.map((e) => this.expire(meetingId, e)));
    return entries.filter((e) => !lost.includes(e));
  }

  private async livePeer(meetingId: string, participantId: string): Promise<PresenceEntry | undefined> {
    const entry = await this.presence.get(meetingId, participantId);
    if (!entry || entry.instance === this.instance || (await this.presence.alive([entry.instance])).has(entry.instance)) return entry;
    await this.expire(meetingId, entry);
    return undefined;
  }

  /** A session of a crashed instance: its peers hear peer.left (`lost`), the meeting-service session.closed. */
  private async expire(meetingId: string, entry: PresenceEntry): Promise<void> {
    if (!(await this.presence.remove(meetingId, entry.participantId, entry.sessionId))) return;
    this.logger.warn(`meeting ${meetingId}: ${entry.participantId} lost (instance ${entry.instance} stopped its heartbeat)`);
    await this.relay.publish(meetingId, { kind: 'peer.left', participantId: entry.participantId, sessionId: entry.sessionId, reason: 'lost' });
    await this.announce('session.closed', { meetingId, participantId: entry.participantId, sessionId: entry.sessionId, reason: 'lost' });
  }

  /** A relayed message reaches this instance's sessions of the meeting. */
  private deliver(meetingId: string, message: RelayMessage): void {
    for (const session of this.sessions.inMeeting(meetingId)) {
      switch (message.kind) {
        case 'peer.joined':
          if (message.participantId !== session.participantId)
            sendRelayed(session, { type: 'peer.joined', participantId: message.participantId, name: message.name });
          break;
        case 'peer.left':
          if (message.participantId !== session.participantId)
            sendRelayed(session, { type: 'peer.left', participantId: message.participantId, reason: message.reason });
          break;
        case 'peer.muted':
        case 'peer.unmuted':
          if (message.participantId !== session.participantId) sendRelayed(session, { type: message.kind, participantId: message.participantId });
          break;
        case 'signal':
          if (message.to !== session.participantId) break;
          if (message.frame.type === 'ice') sendRelayed(session, { type: 'ice', from: message.from, candidate: message.frame.candidate });
          else sendRelayed(session, { type: message.frame.type, from: message.from, sdp: message.frame.sdp });
          break;
        case 'session.replaced':
          if (message.participantId === session.participantId && message.sessionId !== session.sessionId)
            this.close(session, SIGNAL_CLOSE_CODES.replaced, 'replaced');
          break;
        case 'participant.removed':
          if (message.participantId === session.participantId) this.close(session, SIGNAL_CLOSE_CODES.ended, 'removed');
          break;
        case 'meeting.ended':
          send(session, { type: 'meeting.ended', meetingId }); // right before the close, welcomed or not
          this.close(session, SIGNAL_CLOSE_CODES.ended, 'meeting_ended');
          break;
      }
    }
  }

  private close(session: Session, code: number, reason: string): void {
    session.closing = reason;
    session.socket.close(code, reason);
  }

  private async announce<T extends 'session.opened' | 'session.closed' | 'session.muted'>(type: T, data: Record<string, unknown>): Promise<void> {
    try {
      await this.manager.publishEvent(CHANNELS.signaling, type, data);
    } catch (error) {
      this.logger.error(`could not publish ${type}: ${(error as Error).message}`);
    }
  }
}
