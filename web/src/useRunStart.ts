// Starting a run from a dialog: busy while the request is out, and the
// server's refusal (its headline and every problem) kept for the dialog.
import { useCallback, useState } from 'react';
import type { ApiFailure } from './api';
import type { ApiError } from './types';

export interface RunStart {
  busy: boolean;
  message: string;
  errors: ApiError[];
  /** shows problems found before anything is sent */
  refuse: (message: string, errors: ApiError[]) => void;
  /** runs `start`; a failure becomes "Not started: …" with the server's problems, handed to `onRefused` too */
  start: (start: () => Promise<void>, onRefused?: (errors: ApiError[]) => void) => Promise<void>;
}

export function useRunStart(): RunStart {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState('');
  const [errors, setErrors] = useState<ApiError[]>([]);
  const refuse = useCallback((m: string, e: ApiError[]) => {
    setMessage(m);
    setErrors(e);
  }, []);
  const start = useCallback(async (run: () => Promise<void>, onRefused?: (errors: ApiError[]) => void) => {
    setBusy(true);
    setMessage('');
    setErrors([]);
    try {
      await run();
    } catch (e) {
      const f = e as ApiFailure;
      setMessage(`Not started: ${f.message.replace(/\.$/, '')}.`);
      setErrors(f.errors ?? []);
      if (f.errors?.length) onRefused?.(f.errors);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, message, errors, refuse, start };
}
