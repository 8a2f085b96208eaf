import { useState } from 'react';
import { Alert, Button, Group, Paper, TagsInput, Text, TextInput, Title } from '@mantine/core';
import { AUTOMATION_LEVEL_TITLES } from '@quell/core';
import { errorMessage } from '../../api/client';
import { usePreviewDeviceGroup } from '../../api/admin';

/** Which group a (hypothetical) device would fall into: try rules before devices arrive. */
export function GroupPreview() {
  const preview = usePreviewDeviceGroup();
  const [hostname, setHostname] = useState('');
  const [os, setOs] = useState('');
  const [tags, setTags] = useState<string[]>([]);
  return (
    <Paper withBorder p="md">
      <Title order={4} mb="xs">
        Preview membership
      </Title>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          preview.mutate({
            hostname: hostname.trim(),
            ...(os.trim() ? { os: os.trim() } : {}),
            ...(tags.length ? { tags } : {}),
          });
        }}
      >
        <Group align="flex-end" gap="sm">
          <TextInput
            label="Hostname"
            required
            value={hostname}
            onChange={(e) => setHostname(e.currentTarget.value)}
            w={220}
            data-testid="preview-hostname"
          />
          <TextInput label="OS" value={os} onChange={(e) => setOs(e.currentTarget.value)} w={160} />
          <TagsInput label="Tags" value={tags} onChange={setTags} w={240} />
          <Button
            type="submit"
            loading={preview.isPending}
            disabled={!hostname.trim()}
            data-testid="preview-submit"
          >
            Preview
          </Button>
        </Group>
      </form>
      {preview.isError && (
        <Alert color="red" mt="sm">
          {errorMessage(preview.error)}
        </Alert>
      )}
      {preview.data && (
        <Text mt="sm" size="sm" data-testid="preview-result">
          Falls into <b>{preview.data.name}</b> (rank {preview.data.rank}) —{' '}
          {AUTOMATION_LEVEL_TITLES[preview.data.automationLevel]}
        </Text>
      )}
    </Paper>
  );
}
