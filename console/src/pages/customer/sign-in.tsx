import { useQueryClient } from '@tanstack/react-query';
import { useLocation } from 'wouter';
import { signIn } from '../../api/customer.ts';
import { SecretSignIn } from '../../components/secret-sign-in.tsx';
import { SESSION_KEY } from '../../session.tsx';

export function CustomerSignIn() {
  const [, navigate] = useLocation();
  const client = useQueryClient();
  return (
    <>
      <h1>Customer sign-in</h1>
      {/* The key is not kept anywhere: from here on the browser holds only the session cookie. */}
      <SecretSignIn
        label="API key"
        hint="It opens a session of one hour in this browser; the key itself is not stored."
        placeholder="sk-..."
        signIn={async (key) => client.setQueryData(SESSION_KEY, await signIn(key))}
        onDone={() => navigate('/overview')}
      />
    </>
  );
}
