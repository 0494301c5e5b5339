import { globToRegExp } from './cloud-event';
import type { EventHandler } from './event-bus';

/** One registered handler. */
export interface HandlerEntry {
  /** The channel or pattern it was registered for. */
  readonly key: string;
  readonly isPattern: boolean;
  readonly handler: EventHandler;
  readonly once: boolean;
  /** False once removed (a `once` entry removes itself when it is matched). */
  active: boolean;
}

interface KeyGroup {
  isPattern: boolean;
  matcher?: RegExp;
  entries: HandlerEntry[];
}

/**
 * Handlers by channel and by pattern, shared by the three buses. `take*` returns the handlers an
 * event goes to and removes `once` entries in the same step, so a `once` handler runs one time.
 */
export class SubscriptionRegistry {
  private readonly groups = new Map<string, KeyGroup>();

  /** Adds a handler; `first` tells whether the key had none before (the bus must subscribe). */
  add(key: string, isPattern: boolean, handler: EventHandler, once: boolean): { entry: HandlerEntry; first: boolean } {
    let group = this.groups.get(key);
    const first = !group;
    if (!group) {
      group = { isPattern, matcher: isPattern ? globToRegExp(key) : undefined, entries: [] };
      this.groups.set(key, group);
    }
    const entry: HandlerEntry = { key, isPattern, handler, once, active: true };
    group.entries.push(entry);
    return { entry, first };
  }

  /** Removes a handler; returns true when its key has no handler left (the bus must unsubscribe). */
  remove(entry: HandlerEntry): boolean {
    if (!entry.active) return false;
    entry.active = false;
    const group = this.groups.get(entry.key);
    if (!group) return false;
    group.entries = group.entries.filter((e) => e !== entry);
    if (group.entries.length > 0) return false;
    this.groups.delete(entry.key);
    return true;
  }

  /** Handlers of exactly this key (a channel or a pattern); removes matched `once` entries. */
  takeForKey(key: string): { entries: HandlerEntry[]; emptied: string[] } {
    return this.take(this.groups.get(key)?.entries ?? []);
  }

  /** Handlers of the channel itself and of every pattern matching it; removes matched `once` entries. */
  takeForChannel(channel: string): { entries: HandlerEntry[]; emptied: string[] } {
    return this.take(this.matching(channel));
  }

  /** Whether any handler (exact or pattern) would receive events of this channel. */
  covers(channel: string): boolean {
    return this.matching(channel).length > 0;
  }

  /** Patterns that match this channel. */
  patternsMatching(channel: string): string[] {
    const out: string[] = [];
    for (const [key, group] of this.groups) if (group.isPattern && group.matcher!.test(channel)) out.push(key);
    return out;
  }

  channels(): string[] {
    return [...this.groups].filter(([, g]) => !g.isPattern).map(([key]) => key);
  }

  patterns(): string[] {
    return [...this.groups].filter(([, g]) => g.isPattern).map(([key]) => key);
  }

  /** Channels and patterns with at least one handler (seed `channel_count`). */
  get size(): number {
    return this.groups.size;
  }

  clear(): void {
    for (const group of this.groups.values()) for (const e of group.entries) e.active = false;
    this.groups.clear();
  }

  private matching(channel: string): HandlerEntry[] {
    const out: HandlerEntry[] = [...(this.groups.get(channel)?.entries ?? [])];
    for (const group of this.groups.values()) {
      if (group.isPattern && group.matcher!.test(channel)) out.push(...group.entries);
    }
    return out;
  }

  private take(entries: HandlerEntry[]): { entries: HandlerEntry[]; emptied: string[] } {
    const emptied: string[] = [];
    const taken = entries.slice();
    for (const entry of taken) {
      if (entry.once && this.remove(entry)) emptied.push(entry.key);
    }
    return { entries: taken, emptied };
  }
}
