import { Anchor, Button, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { useFileList } from '../api/files';
import { DebouncedInput } from '../components/debounced-input';
import { QueryState } from '../components/query-state';
import { fmtTime, relTime } from '../lib/format';
import { useSearchState } from '../lib/use-search-state';

const KEYS = ['q'] as const;

/** Files Quell has seen, most recent first; search by hash prefix or part of a name (in the URL). */
export function FilesPage() {
  const [f, setF] = useSearchState(KEYS);
  const list = useFileList({ q: f.q || undefined, limit: 100 });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Files</Title>
        <Button variant="default" size="xs" onClick={() => void list.refetch()} loading={list.isRefetching}>
          Refresh
        </Button>
      </Group>
      <Paper withBorder p="sm">
        <DebouncedInput
          label="Search"
          placeholder="SHA-256, SHA-1 or MD5 prefix (4+ hex digits), or part of a name"
          value={f.q ?? ''}
          onValue={(q) => setF({ q })}
          w={480}
          data-testid="files-search"
        />
      </Paper>
      <QueryState query={list} title="Could not load files">
        {(page) =>
          page.items.length === 0 ? (
            <Text c="dimmed">No file matches.</Text>
          ) : (
            <Table.ScrollContainer minWidth={800}>
              <Table verticalSpacing="xs" highlightOnHover>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>SHA-256</Table.Th>
                    <Table.Th>Devices</Table.Th>
                    <Table.Th>First seen</Table.Th>
                    <Table.Th>Last seen</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {page.items.map((file) => (
                    <Table.Tr key={file.sha256} data-testid="file-row" data-sha256={file.sha256}>
                      <Table.Td>
                        <Anchor component={Link} to={`/files/${file.sha256}`} size="sm">
                          {file.names[0] ?? '(unnamed)'}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" ff="monospace" title={file.sha256}>
                          {file.sha256.slice(0, 16)}…
                        </Text>
                      </Table.Td>
                      <Table.Td>{file.deviceCount}</Table.Td>
                      <Table.Td>
                        <Text size="sm">{fmtTime(file.firstSeenAt)}</Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" title={fmtTime(file.lastSeenAt)}>
                          {relTime(file.lastSeenAt)}
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )
        }
      </QueryState>
    </Stack>
  );
}
