import { Notification } from '@mantine/core';
import { dismiss, useNotes, type Note } from '../lib/notify';

const COLOR: Record<Note['kind'], string> = { error: 'red', success: 'teal', info: 'blue' };

/** Toasts for results and refusals, bottom right. */
export function Notes() {
  const notes = useNotes();
  return (
    <div className="notes" aria-live="polite">
      {notes.map((n) => (
        <Notification
          key={n.id}
          color={COLOR[n.kind]}
          title={n.title}
          onClose={() => dismiss(n.id)}
          withBorder
          data-testid={`note-${n.kind}`}
        >
          {n.message}
        </Notification>
      ))}
    </div>
  );
}
