import { createContext, useContext, useEffect, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { Me } from '@quell/contracts';
import { ApiError, call, setCsrfToken, setUnauthorizedListener } from './client';

interface SessionValue {
  /** The logged-in principal; null when logged out; undefined while loading. */
  me: Me | null | undefined;
  login(email: string, password: string): Promise<void>;
  logout(): Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);
export const ME_KEY = ['me'] as const;

async function fetchMe(): Promise<Me | null> {
  try {
    const me = await call('me');
    setCsrfToken(me.csrfToken);
    return me;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const qc = useQueryClient();
  const meQuery = useQuery({ queryKey: ME_KEY, queryFn: fetchMe, staleTime: 60_000, retry: false });

  useEffect(() => {
    // Any 401 (expired or revoked session) drops the cached user; <RequireAuth> then goes to /login.
    setUnauthorizedListener(() => {
      setCsrfToken(null);
      qc.setQueryData(ME_KEY, null);
    });
  }, [qc]);

  const value: SessionValue = {
    me: meQuery.isError ? null : meQuery.data,
    async login(email, password) {
      const session = await call('login', { body: { email, password, mode: 'cookie' } });
      setCsrfToken(session.csrfToken);
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== ME_KEY[0] });
      // staleTime 0: the cached "logged out" answer must not be reused.
      await qc.fetchQuery({ queryKey: ME_KEY, queryFn: fetchMe, staleTime: 0 });
    },
    async logout() {
      try {
        await call('logout');
      } finally {
        setCsrfToken(null);
        qc.clear();
        qc.setQueryData(ME_KEY, null);
      }
    },
  };
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const v = useContext(SessionContext);
  if (!v) throw new Error('useSession outside <SessionProvider>');
  return v;
}

/** The logged-in principal; only for components under <RequireAuth>. */
export function useMe(): Me {
  const { me } = useSession();
  if (!me) throw new Error('useMe outside <RequireAuth>');
  return me;
}
