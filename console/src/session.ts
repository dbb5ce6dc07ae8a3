// Who is signed in, as the pages see it: the customer by their session cookie (asked of the
// server), the operator by the admin token this tab holds.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';
import { currentSession, type ConsoleSession } from './api/customer.ts';
import { ApiError } from './api/http.ts';
import { adminToken } from './api/operator.ts';

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
