import { describe, expect, it } from 'vitest';
import type { SandboxReport } from '../sandbox/index.js';
import { analysisAlerts, observablesOf, severityOfScore } from './analysis-alerts.js';
import { NO_INDICATORS, type IndicatorMatcher } from './indicator-matcher.js';

const SAMPLE = {
  analysisId: 'anl_1',
  sha256: 'a'.repeat(64),
  name: 'x.sh',
  at: Date.parse('2026-06-01T08:00:00Z'),
};
const DROPPED = 'b'.repeat(64);

/** The parts of a report the alerts read; the rest is irrelevant here. */
function report(over: Partial<SandboxReport> = {}): SandboxReport {
  return {
    sample: { name: 'x.sh', sha256: SAMPLE.sha256, size: 10, path: '/sample/x.sh' },
    verdict: 'clean',
    score: 0,
    behaviours: [],
    files: [],
    network: [],
    dns: [],
    ...over,
  } as unknown as SandboxReport;
}

const c2 = {
  id: 'network_non_app_protocol' as const,
  title: 'Connection to a remote port',
  techniqueId: 'T1095',
  tactic: 'command-and-control' as const,
  severity: 'medium' as const,
  evidence: ['connect 2001:db8::1:4444'],
};

describe('deep-analysis alerts', () => {
  it('checks the sample, dropped files (not deleted ones), addresses and names, each once', () => {
    const obs = observablesOf(
      SAMPLE,
      report({
        files: [
          {
            path: '/tmp/a',
            change: 'created',
            type: 'file',
            size: 1,
            sha256: DROPPED,
            artifact: 'files/b',
            linkTarget: null,
          },
          {
            path: '/tmp/gone',
            change: 'deleted',
            type: 'file',
            size: null,
            sha256: 'c'.repeat(64),
            artifact: null,
            linkTarget: null,
          },
        ],
        network: [
          {
            pid: 1,
            family: 'ipv6',
            address: '2001:db8::1',
            port: 4444,
            protocol: 'tcp',
            result: 'unreachable',
            errno: null,
            count: 1,
          },
          {
            pid: 2,
            family: 'ipv6',
            address: '2001:db8::1',
            port: 80,
            protocol: 'tcp',
            result: 'unreachable',
            errno: null,
            count: 1,
          },
        ],
        dns: [{ name: 'C2.Example.', type: 'A', server: '127.0.0.53:53', count: 2 }],
      }),
    );
    expect(obs.map((o) => `${o.type}:${o.value}`)).toEqual([
      `sha256:${SAMPLE.sha256}`,
      `sha256:${DROPPED}`,
      'ipv6:2001:db8::1',
      'domain:c2.example',
    ]);
  });

  it('raises one alert per match, with the matched entity and the technique of its behaviour', async () => {
    const matcher: IndicatorMatcher = {
      match: (type, value) =>
        Promise.resolve(
          type === 'ipv6' && value === '2001:db8::1'
            ? { indicatorId: 'ioc_9', title: 'Bad host', severity: 'high', action: 'block' }
            : null,
        ),
    };
    const alerts = await analysisAlerts(
      SAMPLE,
      report({
        behaviours: [c2],
        network: [
          {
            pid: 1,
            family: 'ipv6',
            address: '2001:db8::1',
            port: 4444,
            protocol: 'tcp',
            result: 'unreachable',
            errno: null,
            count: 1,
          },
        ],
      }),
      matcher,
    );
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      id: 'analysis:anl_1:ioc:ipv6:2001:db8::1',
      severity: 'high',
      mitreTechniques: ['T1095'],
      entities: [
        { kind: 'file', sha256: SAMPLE.sha256 },
        { kind: 'ip', address: '2001:db8::1' },
      ],
      firstActivityAt: '2026-06-01T08:00:00.000Z',
    });
  });

  it('raises a verdict alert only for a malicious report', async () => {
    expect(await analysisAlerts(SAMPLE, report({ verdict: 'suspicious', score: 60 }), NO_INDICATORS)).toEqual(
      [],
    );
    const [alert] = await analysisAlerts(
      SAMPLE,
      report({ verdict: 'malicious', score: 75, behaviours: [c2] }),
      NO_INDICATORS,
    );
    expect(alert).toMatchObject({
      id: 'analysis:anl_1:verdict',
      severity: 'medium',
      mitreTechniques: ['T1095'],
    });
  });

  it.each([
    [100, 'high'],
    [90, 'high'],
    [89, 'medium'],
    [70, 'medium'],
    [25, 'low'],
    [0, 'informational'],
  ])('gives score %i the severity %s', (score, severity) => {
    expect(severityOfScore(score)).toBe(severity);
  });
});
