import { useState } from 'react';
import {
  Alert,
  Button,
  Group,
  Modal,
  Select,
  Stack,
  TagsInput,
  Text,
  TextInput,
  Textarea,
} from '@mantine/core';
import type { Incident } from '@quell/contracts';
import { CLASSIFICATIONS, DETERMINATIONS, type Classification } from '@quell/core';
import { errorMessage } from '../../api/client';
import { useMerge, usePatchIncident } from '../../api/incidents';
import { humanize } from '../../lib/format';
import { notify } from '../../lib/notify';
import { oneOf } from '../../lib/use-search-state';

interface ModalProps {
  incident: Incident;
  onClose: () => void;
}

function Footer({
  onClose,
  busy,
  disabled,
  label,
  testid,
}: {
  onClose: () => void;
  busy: boolean;
  disabled?: boolean;
  label: string;
  testid: string;
}) {
  return (
    <Group justify="flex-end">
      <Button variant="default" onClick={onClose}>
        Cancel
      </Button>
      <Button type="submit" loading={busy} disabled={disabled} data-testid={testid}>
        {label}
      </Button>
    </Group>
  );
}

/** Classification first, then a determination allowed under it (core DETERMINATIONS). */
export function ClassifyModal({ incident, onClose }: ModalProps) {
  const patch = usePatchIncident(incident);
  const [cls, setCls] = useState<Classification | null>(incident.classification);
  const [det, setDet] = useState<string | null>(incident.determination);
  const dets: readonly string[] = cls ? DETERMINATIONS[cls] : [];
  return (
    <Modal opened onClose={onClose} title="Classify incident">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          patch.mutate({ classification: cls, determination: cls ? det : null }, { onSuccess: onClose });
        }}
      >
        <Stack>
          <Select
            label="Classification"
            data={CLASSIFICATIONS.map((c) => ({ value: c, label: humanize(c) }))}
            value={cls}
            onChange={(v) => {
              const c = v ? (oneOf(CLASSIFICATIONS, v) ?? null) : null;
              setCls(c);
              if (!c || !(DETERMINATIONS[c] as readonly string[]).includes(det ?? '')) setDet(null);
            }}
            clearable
            data-testid="classify-classification"
          />
          <Select
            label="Determination"
            data={dets.map((d) => ({ value: d, label: humanize(d) }))}
            value={det}
            onChange={setDet}
            disabled={!cls}
            clearable
            data-testid="classify-determination"
          />
          <Footer onClose={onClose} busy={patch.isPending} label="Save" testid="classify-save" />
        </Stack>
      </form>
    </Modal>
  );
}

export function TagsModal({ incident, onClose }: ModalProps) {
  const patch = usePatchIncident(incident);
  const [tags, setTags] = useState<string[]>(incident.tags);
  return (
    <Modal opened onClose={onClose} title="Edit tags">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          patch.mutate({ tags }, { onSuccess: onClose });
        }}
      >
        <Stack>
          <TagsInput
            label="Tags"
            description="Press Enter after each tag; no commas"
            value={tags}
            onChange={setTags}
            maxTags={50}
            splitChars={[',']}
            data-testid="tags-input"
          />
          {incident.systemTags.length > 0 && (
            <Text size="xs" c="dimmed">
              System tags (set by Quell, not editable): {incident.systemTags.join(', ')}
            </Text>
          )}
          <Footer onClose={onClose} busy={patch.isPending} label="Save tags" testid="tags-save" />
        </Stack>
      </form>
    </Modal>
  );
}

/** Resolving needs a note saying how; the API refuses without one. */
export function ResolveModal({ incident, onClose }: ModalProps) {
  const patch = usePatchIncident(incident);
  const [note, setNote] = useState('');
  return (
    <Modal opened onClose={onClose} title="Resolve incident">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          patch.mutate({ status: 'resolved', resolutionNote: note.trim() }, { onSuccess: onClose });
        }}
      >
        <Stack>
          {!incident.classification && (
            <Alert color="yellow" variant="light">
              This incident is not classified yet. Classify it so reports know whether it was a true positive.
            </Alert>
          )}
          <Textarea
            label="Resolution note"
            description="What was found and what was done"
            required
            autosize
            minRows={3}
            value={note}
            onChange={(e) => setNote(e.currentTarget.value)}
            data-testid="resolve-note"
          />
          <Footer
            onClose={onClose}
            busy={patch.isPending}
            disabled={!note.trim()}
            label="Resolve"
            testid="resolve-submit"
          />
        </Stack>
      </form>
    </Modal>
  );
}

export function AssignModal({ incident, onClose }: ModalProps) {
  const patch = usePatchIncident(incident);
  const [email, setEmail] = useState(incident.assignee ?? '');
  return (
    <Modal opened onClose={onClose} title="Assign incident">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          patch.mutate({ assignee: email.trim() || null }, { onSuccess: onClose });
        }}
      >
        <Stack>
          <TextInput
            label="Assignee email"
            placeholder="analyst@example.com"
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            data-testid="assign-email"
          />
          <Footer
            onClose={onClose}
            busy={patch.isPending}
            label={email.trim() ? 'Assign' : 'Unassign'}
            testid="assign-submit"
          />
        </Stack>
      </form>
    </Modal>
  );
}

/** Absorbs other incidents (by id) into this one; they become redirected. */
export function MergeModal({ incident, onClose }: ModalProps) {
  const merge = useMerge(incident.id);
  const [ids, setIds] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal opened onClose={onClose} title="Merge incidents into this one">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          merge.mutate(ids, {
            onSuccess: () => {
              notify.success(`Merged ${ids.length} incident(s) into ${incident.id}.`);
              onClose();
            },
            onError: (err) => setError(errorMessage(err)),
          });
        }}
      >
        <Stack>
          <TagsInput
            label="Incident ids"
            description="Their alerts and entities move here; they become redirected"
            value={ids}
            onChange={setIds}
            splitChars={[',', ' ']}
            data-testid="merge-ids"
          />
          {error && <Alert color="red">{error}</Alert>}
          <Footer
            onClose={onClose}
            busy={merge.isPending}
            disabled={ids.length === 0}
            label="Merge"
            testid="merge-submit"
          />
        </Stack>
      </form>
    </Modal>
  );
}
