import { useState } from 'react';
import { Alert, Badge, Button, Group, Modal, Select, Stack, Text, Textarea } from '@mantine/core';
import type { CatalogEntry } from '@quell/contracts';
import { isActionType } from '@quell/core';
import { useNavigate } from 'react-router';
import { errorMessage } from '../api/client';
import { useRequestAction } from '../api/actions';
import type { TargetOption } from '../lib/action-targets';
import { humanize } from '../lib/format';
import { notify } from '../lib/notify';
import { SchemaForm, asObjectSchema, cleanValues, initialValues, schemaProblems } from './schema-form';

/** Flags a responder checks before asking: does it change things, can it be undone. */
export function CatalogFlags({ entry }: { entry: CatalogEntry }) {
  return (
    <Group gap={6}>
      <Badge size="xs" variant="light" color="gray">
        {humanize(entry.kind)}
      </Badge>
      {entry.destructive && (
        <Badge size="xs" color="red" variant="light">
          destructive
        </Badge>
      )}
      {entry.reversible && (
        <Badge size="xs" color="teal" variant="light">
          reversible
        </Badge>
      )}
      {entry.readOnly && (
        <Badge size="xs" color="blue" variant="light">
          read-only
        </Badge>
      )}
      {!entry.executorAvailable && (
        <Badge size="xs" color="yellow" variant="light">
          no executor installed
        </Badge>
      )}
    </Group>
  );
}

interface Props {
  entry: CatalogEntry;
  option: TargetOption;
  incidentId: string;
  deviceHosts: string[];
  onClose: () => void;
}

/** Asks for one catalog action against an incident entity; the params form follows the catalog schema. */
export function ActionRequestModal({ entry, option, incidentId, deviceHosts, onClose }: Props) {
  const navigate = useNavigate();
  const schema = asObjectSchema(entry.params);
  const [params, setParams] = useState(() => initialValues(schema, option.defaults));
  const [comment, setComment] = useState('');
  const [host, setHost] = useState<string | null>(option.target.deviceHostname ?? null);
  const [error, setError] = useState<string | null>(null);
  const request = useRequestAction();
  const fixed = Object.keys(option.defaults);
  const problems = schemaProblems(schema, params);

  const submit = () => {
    if (!isActionType(entry.id)) return setError(`Unknown action type ${entry.id}`);
    setError(null);
    const hasCommentParam = schema?.properties.comment !== undefined;
    const p = cleanValues({ ...params, ...(hasCommentParam && comment ? { comment } : {}) });
    request.mutate(
      {
        type: entry.id,
        target: {
          ...option.target,
          ...(option.targetKind === 'file' && host ? { deviceHostname: host } : {}),
        },
        params: p,
        incidentId,
        ...(comment ? { comment } : {}),
      },
      {
        onSuccess: (a) => {
          notify.success(
            `${a.title} on ${a.target.label ?? a.target.id}: ${humanize(a.status)}. ${a.approvalReason}`,
            'Action requested',
          );
          onClose();
          void navigate(`/actions/${encodeURIComponent(a.id)}`);
        },
        onError: (e) => setError(errorMessage(e)),
      },
    );
  };

  return (
    <Modal opened onClose={onClose} title={<Text fw={600}>{entry.title}</Text>} size="lg">
      <Stack>
        <Text size="sm">{entry.description}</Text>
        <CatalogFlags entry={entry} />
        <Text size="sm">
          Target: <b>{option.title}</b>{' '}
          <Text span className="mono" c="dimmed">
            {option.target.id}
          </Text>
        </Text>
        {option.targetKind === 'file' && deviceHosts.length > 0 && (
          <Select
            label="Device holding the file"
            data={deviceHosts}
            value={host}
            onChange={setHost}
            clearable
          />
        )}
        {fixed.length > 0 && (
          <Text size="xs" c="dimmed">
            From the entity: {fixed.map((k) => `${humanize(k)} ${String(option.defaults[k])}`).join(' · ')}
          </Text>
        )}
        <SchemaForm schema={schema} value={params} onChange={setParams} exclude={[...fixed, 'comment']} />
        <Textarea
          label="Comment"
          description="Why; shown to approvers and in the audit log"
          autosize
          minRows={2}
          maxLength={1000}
          value={comment}
          onChange={(e) => setComment(e.currentTarget.value)}
          data-testid="action-request-comment"
        />
        {entry.destructive && (
          <Alert color="orange" variant="light">
            This action is destructive: depending on the device group and settings it may wait for approval.
          </Alert>
        )}
        {error && (
          <Alert color="red" title="The request was refused">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            onClick={submit}
            loading={request.isPending}
            disabled={problems.length > 0}
            title={problems.join('; ')}
            data-testid="action-request-submit"
          >
            Request {entry.title.toLowerCase()}
          </Button>
        </Group>
        {problems.length > 0 && (
          <Text size="xs" c="red">
            {problems.join('; ')}
          </Text>
        )}
      </Stack>
    </Modal>
  );
}
