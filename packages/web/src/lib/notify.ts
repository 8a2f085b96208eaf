import { useSyncExternalStore } from 'react';
import { errorMessage } from '../api/client';

export interface Note {
  id: number;
  kind: 'error' | 'success' | 'info';
  title: string;
  message: string;
}

// A tiny store outside React so the query client's global error hooks can post to it too.
let notes: Note[] = [];
let seq = 0;
const listeners = new Set<() => void>();
const emit = () => listeners.forEach((l) => l());

function push(kind: Note['kind'], title: string, message: string): void {
  const id = ++seq;
  notes = [...notes.slice(-4), { id, kind, title, message }];
  emit();
  // Errors stay until dismissed: an analyst must not miss why something was refused.
  if (kind !== 'error') setTimeout(() => dismiss(id), 5000);
}

export function dismiss(id: number): void {
  notes = notes.filter((n) => n.id !== id);
  emit();
}

export const notify = {
  error: (e: unknown, title = 'Request failed') => push('error', title, errorMessage(e)),
  success: (message: string, title = 'Done') => push('success', title, message),
  info: (message: string, title = 'Note') => push('info', title, message),
};

export function useNotes(): Note[] {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => notes,
  );
}
