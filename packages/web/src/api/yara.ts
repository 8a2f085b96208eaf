import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { YaraRuleInput } from '@quell/contracts';
import { call } from './client';

const yaraKeys = { all: ['yara-rules'] as const };

/** YARA rules agents scan with. */
export function useYaraRules() {
  return useQuery({ queryKey: yaraKeys.all, queryFn: () => call('listYaraRules') });
}

/** Adds a rule; the server compiles it first and answers with the compiler's message when it fails. */
export function useCreateYaraRule() {
  const qc = useQueryClient();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (body: YaraRuleInput) => call('createYaraRule', { body }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: yaraKeys.all }),
  });
}

export function useDeleteYaraRule() {
  const qc = useQueryClient();
  return useMutation({
    meta: { quiet: true },
    mutationFn: (id: string) => call('deleteYaraRule', { params: { id } }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: yaraKeys.all }),
  });
}
