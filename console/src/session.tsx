// Who is signed in, as the pages see it: the customer by their session cookie (asked of the
// server), the operator by the admin token this tab holds.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useSyncExternalStore } from 'react';
import { currentSession, type ConsoleSession } from './api/customer.ts';
import { ApiError } from './api/http.ts';
import { adminToken, operatorApi } from './api/operator.ts';

export const SESSION_KEY = ['customer-session'];

export function useCustomerSession() {
  return useQuery<ConsoleSession | null>({
    queryKey: SESSION_KEY,
    queryFn: async () => {
      try {
        return await currentSession();
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
  });
}

export function useForgetCustomer() {
  const client = useQueryClient();
  return () => {
    client.setQueryData(SESSION_KEY, null);
    client.removeQueries({ predicate: (q) => q.queryKey[0] === 'me' });
  };
}

// The admin token in sessionStorage, observed so that signing in or out re-renders the pages.
const listeners = new Set<() => void>();
export const operatorChanged = () => listeners.forEach((l) => l());
export function useOperatorSignedIn(): boolean {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => adminToken.get() !== null,
  );
}

/** The operator token's scope (GET /admin/me): a read token is shown nothing that would change anything. */
export function useOperatorScope() {
  const signedIn = useOperatorSignedIn();
  const me = useQuery({ queryKey: ['admin', 'me'], queryFn: operatorApi.me, enabled: signedIn, staleTime: 300_000 });
  return { me: me.data, canWrite: me.data?.scope === 'write' };
}

/** Renders its children only for a token that may change things; until the scope is known, nothing. */
export function WriteOnly({ children }: { children: ReactNode }) {
  return useOperatorScope().canWrite ? children : null;
}

/** Forgets what the previous operator token read (another token may see the same pages with another scope). */
export function useForgetOperator() {
  const client = useQueryClient();
  return () => client.removeQueries({ queryKey: ['admin'] });
}
