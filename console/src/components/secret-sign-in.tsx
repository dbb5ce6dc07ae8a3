// The one sign-in form both sides use: a secret (an API key, the admin token) typed once, checked
// by the server, then cleared from the page.
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorNote, Field } from './ui.tsx';

export function SecretSignIn({ label, hint, placeholder, signIn, onDone }: {
  label: string;
  hint: string;
  placeholder?: string;
  signIn: (secret: string) => Promise<unknown>;
  onDone: () => void;
}) {
  const [secret, setSecret] = useState('');
  const mutation = useMutation({
    mutationFn: () => signIn(secret.trim()),
    onSuccess: () => {
      setSecret('');
      onDone();
    },
  });
  return (
    <form
      className="card narrow"
      onSubmit={(event) => {
        event.preventDefault();
        mutation.mutate();
      }}
    >
      <Field label={label} hint={hint}>
        {(id) => <input id={id} type="password" autoComplete="off" required value={secret} onChange={(e) => setSecret(e.target.value)} placeholder={placeholder} />}
      </Field>
      <ErrorNote error={mutation.error} />
      <button type="submit" disabled={mutation.isPending}>
        Sign in
      </button>
    </form>
  );
}
