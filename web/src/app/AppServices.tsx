/**
 * The page's stores, reached from any component through one context
 * (`AppServicesProvider`, given once by `main.tsx`) instead of props, and a
 * hook per store that reads the slice a component needs: it re-renders when
 * that slice changes, not on every change of the store (`shared/store.ts`).
 * (The Random page reads its store once per frame instead: `useStoreEachFrame`.)
 */

import { createContext, useContext, type ReactNode } from 'react';
import type { Session } from '../account/session';
import type { ClientSnapshot } from '../clock/client';
import { useStore } from '../shared/store';
import type { StatusSnapshot } from '../status/statusStore';
import type { TimersSnapshot } from '../timers/timerStore';
import type { AppServices } from './services';

const ServicesContext = createContext<AppServices | null>(null);

export function AppServicesProvider({ services, children }: { readonly services: AppServices; readonly children: ReactNode }) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

/** The page's stores; only inside `AppServicesProvider`. */
export function useServices(): AppServices {
  const services = useContext(ServicesContext);
  if (services === null) throw new Error('useServices outside AppServicesProvider');
  return services;
}

type Equal<S> = (a: S, b: S) => boolean;

/** A slice of the clock client's snapshot. */
export function useClock<S>(selector: (snapshot: ClientSnapshot) => S, isEqual?: Equal<S>): S {
  return useStore(useServices().clock, selector, isEqual);
}

/** A slice of the timers' snapshot. */
export function useTimers<S>(selector: (snapshot: TimersSnapshot) => S, isEqual?: Equal<S>): S {
  return useStore(useServices().timers, selector, isEqual);
}

/** A slice of the services' status. */
export function useStatus<S>(selector: (snapshot: StatusSnapshot) => S, isEqual?: Equal<S>): S {
  return useStore(useServices().status, selector, isEqual);
}

/** A slice of the signed-in session (null: signed out). */
export function useSession<S>(selector: (session: Session | null) => S, isEqual?: Equal<S>): S {
  return useStore(useServices().accounts.session, selector, isEqual);
}
