import { useState } from 'react';
import {
  Alert,
  Button,
  FileInput,
  Group,
  Modal,
  SegmentedControl,
  Stack,
  Text,
  TextInput,
  Textarea,
} from '@mantine/core';
import { useNavigate } from 'react-router';
import { errorMessage } from '../../api/client';
import { MAX_UPLOAD_BYTES, useSubmitAnalysis, useUploadAnalysis } from '../../api/analyses';

type Source = 'upload' | 'stored';
const SHA256 = /^[A-Fa-f0-9]{64}$/;

/**
 * Submit a file for deep analysis: upload one from this computer, or name a copy the server
 * already holds (collected from a device, or uploaded before) by its SHA-256. Opens the new run.
 */
export function AnalysisSubmitModal({ onClose }: { onClose: () => void }) {
  const upload = useUploadAnalysis();
  const submit = useSubmitAnalysis();
  const navigate = useNavigate();
  const [source, setSource] = useState<Source>('upload');
  const [file, setFile] = useState<File | null>(null);
  const [sha, setSha] = useState('');
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const busy = upload.isPending || submit.isPending;
  const shaInvalid = sha.trim() !== '' && !SHA256.test(sha.trim());

  const go = () => {
    setError(null);
    const c = comment.trim() || undefined;
    const open = {
      onSuccess: (a: { id: string }) => {
        onClose();
        void navigate(`/analyses/${encodeURIComponent(a.id)}`);
      },
      onError: (e: unknown) => setError(errorMessage(e)),
    };
    if (source === 'upload') {
      if (!file) return setError('Choose a file first.');
      if (file.size > MAX_UPLOAD_BYTES)
        return setError(`${file.name} is ${file.size} bytes; deep analysis takes at most 64 MiB.`);
      if (file.size === 0) return setError(`${file.name} is empty; choose the file to detonate.`);
      upload.mutate({ file, ...(c && { comment: c }) }, open);
    } else {
      submit.mutate({ sha256: sha.trim().toLowerCase(), ...(c && { comment: c }) }, open);
    }
  };

  return (
    <Modal opened onClose={onClose} title="Submit a file for deep analysis" size="lg">
      <Stack>
        <Text size="sm" c="dimmed">
          The file runs in the sandbox (no network, a time limit) and the report lists what it did. It goes
          through the deep_analysis action, so approval rules apply.
        </Text>
        <SegmentedControl
          value={source}
          onChange={(v) => {
            setSource(v as Source);
            setError(null);
          }}
          data={[
            { value: 'upload', label: 'Upload a file' },
            { value: 'stored', label: 'A stored copy, by SHA-256' },
          ]}
          data-testid="analysis-submit-source"
        />
        {source === 'upload' ? (
          <FileInput
            label="File"
            description="At most 64 MiB"
            placeholder="Choose a file"
            value={file}
            onChange={setFile}
            clearable
            data-testid="analysis-submit-file"
          />
        ) : (
          <TextInput
            label="SHA-256"
            description="A file collected from a device or uploaded before (see its file page)"
            value={sha}
            onChange={(e) => setSha(e.currentTarget.value)}
            error={shaInvalid ? 'A SHA-256 is 64 hexadecimal digits.' : undefined}
            data-testid="analysis-submit-sha256"
          />
        )}
        <Textarea
          label="Comment"
          value={comment}
          onChange={(e) => setComment(e.currentTarget.value)}
          data-testid="analysis-submit-comment"
        />
        {error && (
          <Alert color="red" title="Not submitted" data-testid="analysis-submit-error">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            loading={busy}
            disabled={source === 'upload' ? !file : !SHA256.test(sha.trim())}
            onClick={go}
            data-testid="analysis-submit-confirm"
          >
            {busy && source === 'upload' ? 'Uploading…' : 'Submit'}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
