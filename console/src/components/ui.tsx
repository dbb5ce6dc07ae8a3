// The few building blocks every page uses: labelled fields, error notes, buttons, tables, pagers.
// Plain HTML elements, so keyboard use and screen readers work as the browser makes them.
import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { ApiError } from '../api/http.ts';
import { type LiveVia, POLL_MS } from '../live-task.ts';

export function Field({ label, hint, children }: { label: string; hint?: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
      {hint ? <small>{hint}</small> : null}
    </div>
  );
}

/** A form of filters: applied when submitted (Enter, or its button); it sends nothing itself. */
export function FilterForm({ onApply, search = false, children }: { onApply: () => void; search?: boolean; children: ReactNode }) {
  return (
    <form
      className="inline"
      role={search ? 'search' : undefined}
      onSubmit={(event) => {
        event.preventDefault();
        onApply();
      }}
    >
      {children}
    </form>
  );
}

/** A list's filter that applies as soon as it changes: `options` are [value, label] pairs. */
export function SelectFilter({ label, value, options, onChange }: { label: string; value: string; options: [string, string][]; onChange: (value: string) => void }) {
  return (
    <Field label={label}>
      {(id) => (
        <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
          {options.map(([optionValue, text]) => (
            <option key={optionValue} value={optionValue}>
              {text}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** An edit form's Save and Cancel. */
export function SaveButtons({ label, pending, onCancel }: { label: string; pending: boolean; onCancel: () => void }) {
  return (
    <div className="inline">
      <button type="submit" disabled={pending}>
        {label}
      </button>
      <button type="button" className="secondary" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const text = error instanceof ApiError ? `${error.message} (${error.code})` : error instanceof Error ? error.message : String(error);
  return (
    <p className="error" role="alert">
      {text}
    </p>
  );
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="card" aria-label={title}>
      <header className="card-head">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

/** A table that scrolls sideways on a narrow screen instead of widening the page. */
export function Table({ caption, head, children }: { caption: string; head: string[]; children: ReactNode }) {
  return (
    <div className="table-wrap" role="region" aria-label={caption} tabIndex={0}>
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {head.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** Newest-first paging by cursor: the cursors of the pages seen so far make "previous" work. */
export function useCursorPages() {
  const [stack, setStack] = useState<(string | null)[]>([null]);
  const cursor = stack.at(-1) ?? null;
  return {
    cursor,
    page: stack.length,
    next: (nextCursor: string | null) => nextCursor && setStack((s) => [...s, nextCursor]),
    previous: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    reset: () => setStack([null]),
  };
}

export function Pager({ pages, nextCursor, label }: { pages: ReturnType<typeof useCursorPages>; nextCursor: string | null | undefined; label: string }) {
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" onClick={pages.previous} disabled={pages.page === 1}>
        Newer
      </button>
      <span>Page {pages.page}</span>
      <button type="button" onClick={() => pages.next(nextCursor ?? null)} disabled={!nextCursor}>
        Older
      </button>
    </nav>
  );
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      onClick={async () => {
        await navigator.clipboard.writeText(text);
        setCopied(true);
      }}
    >
      {copied ? 'Copied' : label}
    </button>
  );
}

export function Status({ value }: { value: string }) {
  return <span className={`status status-${value.toLowerCase()}`}>{value.replace('_', ' ')}</span>;
}

/** How an unfinished task's page learns of its changes, shown next to its progress. */
export function LiveNote({ via }: { via: LiveVia }) {
  return (
    <span className="muted" data-testid="live-via">
      {via === 'stream' ? 'live' : `refreshed every ${POLL_MS / 1000} s`}
    </span>
  );
}

/**
 * A button for what cannot be undone: it first asks, in place, with the safe answer focused;
 * Escape or Cancel puts the button back (and the focus on it).
 */
export function ConfirmButton({ label, question, confirmLabel, pending, onConfirm }: { label: string; question: string; confirmLabel: string; pending: boolean; onConfirm: () => void }) {
  const [asking, setAsking] = useState(false);
  const trigger = useRef<HTMLButtonElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const wasAsked = useRef(false);
  useEffect(() => {
    if (asking) cancel.current?.focus();
    else if (wasAsked.current) trigger.current?.focus();
    wasAsked.current = asking;
  }, [asking]);
  if (!asking) {
    return (
      <button ref={trigger} type="button" className="danger" onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <div role="group" aria-label={question} className="confirm" onKeyDown={(e) => e.key === 'Escape' && setAsking(false)}>
      <p>{question}</p>
      <div className="inline">
        <button type="button" className="danger" disabled={pending} onClick={onConfirm}>
          {confirmLabel}
        </button>
        <button ref={cancel} type="button" className="secondary" onClick={() => setAsking(false)}>
          Cancel
        </button>
      </div>
    </div>
  );
}
