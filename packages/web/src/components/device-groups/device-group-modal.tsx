import { useState } from 'react';
import {
  Alert,
  Button,
  Group,
  Modal,
  NumberInput,
  Select,
  Stack,
  TagsInput,
  Text,
  TextInput,
  Textarea,
} from '@mantine/core';
import type { DeviceGroup } from '@quell/contracts';
import { AUTOMATION_LEVELS, AUTOMATION_LEVEL_TITLES, type AutomationLevel } from '@quell/core';
import { errorMessage } from '../../api/client';
import { useSaveDeviceGroup } from '../../api/admin';
import { notify } from '../../lib/notify';
import { oneOf } from '../../lib/use-search-state';

export const AUTOMATION_OPTIONS = AUTOMATION_LEVELS.map((l) => ({
  value: l,
  label: AUTOMATION_LEVEL_TITLES[l],
}));

/** Create a group, or edit one; the built-in ungrouped default only changes its automation level. */
export function DeviceGroupModal({
  group,
  nextRank,
  onClose,
}: {
  group: DeviceGroup | null;
  nextRank: number;
  onClose: () => void;
}) {
  const save = useSaveDeviceGroup();
  const builtIn = group?.builtIn ?? false;
  const [name, setName] = useState(group?.name ?? '');
  const [description, setDescription] = useState(group?.description ?? '');
  const [rank, setRank] = useState<number>(group?.rank ?? nextRank);
  const [namePattern, setNamePattern] = useState(group?.rule.namePattern ?? '');
  const [tags, setTags] = useState<string[]>(group?.rule.tags ?? []);
  const [os, setOs] = useState(group?.rule.os ?? '');
  const [level, setLevel] = useState<AutomationLevel>(group?.automationLevel ?? 'semi_all_folders');
  const [error, setError] = useState<string | null>(null);

  const rule = {
    ...(namePattern.trim() ? { namePattern: namePattern.trim() } : {}),
    ...(tags.length ? { tags } : {}),
    ...(os.trim() ? { os: os.trim() } : {}),
  };
  const submit = () => {
    setError(null);
    const fields = { name: name.trim(), description, rank, rule, automationLevel: level };
    save.mutate(
      group === null
        ? { id: null, input: fields }
        : { id: group.id, patch: builtIn ? { automationLevel: level } : fields },
      {
        onSuccess: (g) => {
          notify.success(`Device group ${g.name} saved.`);
          onClose();
        },
        onError: (e) => setError(errorMessage(e)),
      },
    );
  };

  return (
    <Modal opened onClose={onClose} title={group ? `Edit ${group.name}` : 'New device group'} size="lg">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <Stack>
          {builtIn && (
            <Alert color="blue" variant="light">
              This is the built-in group for devices no other group matches: only its automation level can
              change.
            </Alert>
          )}
          <TextInput
            label="Name"
            required
            disabled={builtIn}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            maxLength={100}
            data-testid="group-name"
          />
          <Textarea
            label="Description"
            disabled={builtIn}
            value={description}
            onChange={(e) => setDescription(e.currentTarget.value)}
            maxLength={1000}
            autosize
          />
          <NumberInput
            label="Rank"
            description="Lower ranks are matched first; a device falls in the first group whose rule matches"
            required
            disabled={builtIn}
            min={1}
            max={10000}
            value={rank}
            onChange={(v) => setRank(typeof v === 'number' ? v : 1)}
          />
          <Text fw={500} size="sm">
            Membership rule (all given conditions must match)
          </Text>
          <Group grow align="flex-start">
            <TextInput
              label="Hostname pattern"
              description="Glob: * and ?"
              placeholder="fs*.corp.example"
              disabled={builtIn}
              value={namePattern}
              onChange={(e) => setNamePattern(e.currentTarget.value)}
              data-testid="group-pattern"
            />
            <TextInput
              label="OS prefix"
              placeholder="Debian"
              disabled={builtIn}
              value={os}
              onChange={(e) => setOs(e.currentTarget.value)}
            />
          </Group>
          <TagsInput
            label="Device tags"
            description="The device must carry all of these"
            disabled={builtIn}
            value={tags}
            onChange={setTags}
            maxTags={20}
          />
          <Select
            label="Automation level"
            required
            data={AUTOMATION_OPTIONS}
            value={level}
            onChange={(v) => setLevel(oneOf(AUTOMATION_LEVELS, v ?? '') ?? level)}
            allowDeselect={false}
            data-testid="group-level"
          />
          {error && (
            <Alert color="red" title="Not saved">
              {error}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending} disabled={!name.trim()} data-testid="group-save">
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
