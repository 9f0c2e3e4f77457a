import { createSubscriptionClient, subscribeEvents, type EventTopic } from '@itops/sdk';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';

type Listener = (topic: string) => void;
const listeners = new Set<Listener>();
let stop: (() => void) | undefined;

/**
 * One graphql-ws subscription per workspace for the whole console; pages ask to be told when an
 * event of their topics arrives and reload what they show.
 */
export function startLive(topics: readonly EventTopic[], onState: (connected: boolean) => void, onLicense?: () => void): () => void {
  stop?.();
  const ws = createSubscriptionClient(api, { retryAttempts: 20 });
  ws.on('connected', () => onState(true));
  ws.on('closed', () => onState(false));
  let ended = false;
  (async () => {
    try {
      for await (const event of subscribeEvents(ws, topics)) {
        if (ended) break;
        for (const listener of listeners) listener(event.topic);
      }
    } catch {
      onState(false);
    }
  })();
  // A license activated or expired (here or on another node) loads or unloads plugins: their pages come and go.
  if (onLicense)
    (async () => {
      try {
        for await (const result of ws.iterate({ query: 'subscription { licenseUpdated { id } }' })) {
          if (ended) break;
          if (!result.errors?.length) onLicense();
        }
      } catch {
        // Without edition:read there is no license feed; pages then change at the next sign-in or workspace switch.
      }
    })();
  stop = () => {
    ended = true;
    void ws.dispose();
  };
  return stop;
}

/** A counter that grows whenever an event whose topic starts with one of `prefixes` arrives. */
export function useLiveTick(prefixes: string[]): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    // A burst of events (a mass outage) reloads a page once per second at most, not once per event.
    let pending: ReturnType<typeof setTimeout> | undefined;
    const listener: Listener = (topic) => {
      if (pending || !prefixes.some((p) => topic.startsWith(p))) return;
      pending = setTimeout(() => {
        pending = undefined;
        setTick((n) => n + 1);
      }, 1000);
    };
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      clearTimeout(pending);
    };
  }, [prefixes.join(',')]);
  return tick;
}
