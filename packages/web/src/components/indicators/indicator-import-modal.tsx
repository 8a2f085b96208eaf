import { useState } from 'react';
import { Alert, Button, FileInput, Group, List, Modal, Stack, Switch, Text } from '@mantine/core';
import type { IndicatorImport, IndicatorImportResult } from '@quell/contracts';
import { errorMessage } from '../../api/client';
import { useImportIndicators } from '../../api/indicators';

/** A `.json` file is taken as a STIX 2.1 bundle, anything else as CSV; the server says what it refuses. */
async function importBody(file: File, dryRun: boolean): Promise<IndicatorImport> {
  const text = await file.text();
  if (/\.json$/i.test(file.name)) {
    let bundle: unknown;
    try {
      bundle = JSON.parse(text);
    } catch (e) {
      throw new Error(`${file.name} is not JSON: ${errorMessage(e)}`);
    }
    return { format: 'stix', bundle: bundle as Record<string, unknown>, dryRun };
  }
  return { format: 'csv', csv: text, dryRun };
}

/** Import a CSV or STIX file: every valid row lands (in one transaction), each rejected row is listed. */
export function IndicatorImportModal({ onClose }: { onClose: () => void }) {
  const imp = useImportIndicators();
  const [file, setFile] = useState<File | null>(null);
  const [dryRun, setDryRun] = useState(false);
  const [result, setResult] = useState<IndicatorImportResult | null>(null);
  const [error, setError] = useState<string | null>(null);

  const submit = async () => {
    if (!file) return;
    setError(null);
    setResult(null);
    try {
      setResult(await imp.mutateAsync(await importBody(file, dryRun)));
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <Modal opened onClose={onClose} title="Import indicators" size="lg">
      <Stack>
        <FileInput
          label="CSV or STIX 2.1 bundle (.json)"
          accept=".csv,.json,text/csv,application/json"
          value={file}
          onChange={(f) => {
            setFile(f);
            setResult(null);
          }}
          clearable
          data-testid="indicator-import-file"
        />
        <Switch
          label="Dry run: check and count, write nothing"
          checked={dryRun}
          onChange={(e) => setDryRun(e.currentTarget.checked)}
        />
        {error && (
          <Alert color="red" data-testid="indicator-import-error">
            {error}
          </Alert>
        )}
        {result && (
          <Alert
            color={result.rejected.length ? 'orange' : 'teal'}
            title={result.dryRun ? 'Dry run' : 'Imported'}
            data-testid="indicator-import-result"
          >
            <Text size="sm" data-testid="indicator-import-counts">
              {result.imported} new, {result.updated} updated, {result.unchanged} unchanged, {result.removed}{' '}
              removed, {result.ignored} ignored, {result.rejected.length} rejected
            </Text>
            {result.rejected.length > 0 && (
              <List size="sm" mt="xs">
                {result.rejected.map((r, i) => (
                  <List.Item key={i} data-testid="indicator-import-rejection">
                    {r.row !== undefined ? `Line ${r.row}` : `Object ${r.index ?? '?'}`}
                    {r.value ? ` (${r.value})` : ''}: {r.reason}
                  </List.Item>
                ))}
              </List>
            )}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Close
          </Button>
          <Button
            disabled={!file}
            loading={imp.isPending}
            onClick={() => void submit()}
            data-testid="indicator-import-confirm"
          >
            Import
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
