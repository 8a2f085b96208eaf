import { useState } from 'react';
import { Anchor, Breadcrumbs, Button, Group, Stack, Text, Title } from '@mantine/core';
import { Link, useNavigate, useParams } from 'react-router';
import type { FilePage as FilePageData } from '@quell/contracts';
import { roleHas } from '@quell/core';
import { catalogById, useCatalog } from '../api/actions';
import { useSubmitAnalysis } from '../api/analyses';
import { useFile } from '../api/files';
import { useMe } from '../api/session';
import { QueryState } from '../components/query-state';
import { FileCollectModal, FileDownloadModal } from '../components/files/file-copy-modals';
import { FileActions, FileIdentity, FileRelated } from '../components/files/file-facts';
import { FileQuarantineCard } from '../components/files/file-quarantine-card';
import { roleIn } from '../lib/roles';
import { fmtTime } from '../lib/format';
import { notify } from '../lib/notify';

/** One file by hash: what Quell knows of it, where it is, and quarantine, restore, collect, download. */
export function FilePage() {
  const { id = '' } = useParams();
  const file = useFile(id);
  return (
    <Stack>
      <Breadcrumbs>
        <Anchor component={Link} to="/files" size="sm">
          Files
        </Anchor>
        <Text size="sm" ff="monospace">
          {id.slice(0, 16)}…
        </Text>
      </Breadcrumbs>
      <QueryState query={file} title="Could not load the file">
        {(page) => <FileView page={page} />}
      </QueryState>
    </Stack>
  );
}

function FileView({ page }: { page: FilePageData }) {
  const me = useMe();
  const byId = catalogById(useCatalog().data?.items);
  // The server also checks the action type's own request roles; this only hides what would fail.
  const mayQuarantine = roleIn(me.role, byId.get('stop_and_quarantine_file')?.requestRoles ?? []);
  const mayCollect = roleIn(me.role, byId.get('collect_file')?.requestRoles ?? []);
  const mayDownload = roleHas(me.role, 'files:download');
  const mayAnalyze = roleIn(me.role, byId.get('deep_analysis')?.requestRoles ?? []);
  const [dialog, setDialog] = useState<'collect' | 'download' | null>(null);
  const navigate = useNavigate();
  const analyze = useSubmitAnalysis();
  const f = page.file;
  const submitAnalysis = () =>
    analyze.mutate(
      { sha256: f.sha256, ...(f.names[0] && { name: f.names[0] }) },
      {
        onSuccess: (a) => void navigate(`/analyses/${encodeURIComponent(a.id)}`),
        onError: (e) => notify.error(e, 'Could not submit the file'),
      },
    );
  return (
    <>
      <Group justify="space-between" align="flex-start">
        <div>
          <Title order={2} data-testid="file-title">
            {f.names[0] ?? f.sha256}
          </Title>
          <Text size="sm" c="dimmed">
            {page.storedCopy
              ? `Stored copy: ${page.storedCopy.size.toLocaleString()} bytes${
                  page.storedCopy.deviceHostname ? ` from ${page.storedCopy.deviceHostname}` : ''
                }${page.storedCopy.collectedAt ? `, ${fmtTime(page.storedCopy.collectedAt)}` : ''}`
              : 'No stored copy yet: collect one to download it.'}
          </Text>
        </div>
        <Group gap="xs">
          {mayCollect && (
            <Button
              variant="default"
              disabled={page.devices.length === 0}
              onClick={() => setDialog('collect')}
              data-testid="file-collect"
            >
              Collect…
            </Button>
          )}
          {mayAnalyze && (
            <Button
              variant="default"
              disabled={!page.storedCopy}
              loading={analyze.isPending}
              onClick={submitAnalysis}
              data-testid="file-analyze"
            >
              Deep analysis
            </Button>
          )}
          {mayDownload && (
            <Button
              variant="default"
              disabled={!page.storedCopy}
              onClick={() => setDialog('download')}
              data-testid="file-download"
            >
              Download…
            </Button>
          )}
        </Group>
      </Group>
      <FileIdentity page={page} />
      <FileQuarantineCard page={page} mayRequest={mayQuarantine} />
      <FileRelated page={page} />
      <FileActions page={page} />
      {dialog === 'collect' && <FileCollectModal page={page} onClose={() => setDialog(null)} />}
      {dialog === 'download' && <FileDownloadModal sha256={f.sha256} onClose={() => setDialog(null)} />}
    </>
  );
}
