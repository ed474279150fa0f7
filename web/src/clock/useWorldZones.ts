/**
 * The world clock's zones as React state: read from the address
 * (`?zones=`) on load, and, signed in, from the account when the address
 * names none (the account's list wins then); every edit is written back to
 * the address at once and, signed in, saved on the account a moment later
 * (debounced, so a burst of edits is one call).
 */

import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { addZone, parseZonesParam, removeZone, withZones } from './worldZones';

/** How long after the last edit the list is saved on the account. */
export const SAVE_AFTER_MS = 800;

/** The account calls the world clock makes. */
export interface AccountZones {
  loadZones(token: string): Promise<readonly string[]>;
  saveZones(token: string, zones: readonly string[]): Promise<void>;
}

/** The signed-in session's token, as the session store gives it. */
export interface TokenSource {
  readonly subscribe: (listener: () => void) => () => void;
  readonly token: () => string | null;
}

export interface WorldZones {
  readonly zones: readonly string[];
  readonly add: (zone: string) => void;
  readonly remove: (zone: string) => void;
  /** A problem with the account's copy, in a sentence; null when there is none. */
  readonly problem: string | null;
}

export function useWorldZones(api: AccountZones, session: TokenSource): WorldZones {
  const [zones, setZones] = useState(() => parseZonesParam(window.location.search));
  const [problem, setProblem] = useState<string | null>(null);
  const token = useSyncExternalStore(session.subscribe, session.token);
  const edited = useRef(false);
  const saveTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  /** The save waiting for its moment, made at once if the page is left first. */
  const pendingSave = useRef<(() => void) | null>(null);

  const show = useCallback((next: readonly string[]) => {
    setZones(next);
    window.history.replaceState(window.history.state, '', withZones(window.location.href, next));
  }, []);

  // Signed in with no zones in the address: the account's list.
  useEffect(() => {
    if (token === null || parseZonesParam(window.location.search).length > 0) return;
    let current = true;
    api.loadZones(token).then(
      (saved) => current && !edited.current && show(saved),
      (error: unknown) => current && setProblem(messageOf(error)),
    );
    return () => {
      current = false;
    };
  }, [api, token, show]);

  useEffect(
    () => () => {
      clearTimeout(saveTimer.current);
      pendingSave.current?.();
    },
    [],
  );

  const edit = useCallback(
    (next: readonly string[]) => {
      edited.current = true;
      show(next);
      if (token === null) return;
      clearTimeout(saveTimer.current);
      const save = () => {
        pendingSave.current = null;
        api.saveZones(token, next).then(
          () => setProblem(null),
          (error: unknown) => setProblem(messageOf(error)),
        );
      };
      pendingSave.current = save;
      saveTimer.current = setTimeout(save, SAVE_AFTER_MS);
    },
    [api, token, show],
  );

  const add = useCallback((zone: string) => edit(addZone(zones, zone)), [edit, zones]);
  const remove = useCallback((zone: string) => edit(removeZone(zones, zone)), [edit, zones]);
  return { zones, add, remove, problem };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : 'The account’s zones could not be reached.';
}
