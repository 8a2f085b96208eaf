import { basename } from 'node:path';
import type { AlertInput, Detection, ResultMessage } from '@quell/contracts';

/** The detection source agents' alerts carry. */
export const AGENT_DETECTION_SOURCE = 'quell-agent';

/**
 * ATT&CK techniques for detection names that say plainly what they are; anything else carries
 * none rather than a guess.
 */
const TECHNIQUE_HINTS: ReadonlyArray<[RegExp, string]> = [
  [/ransom/i, 'T1486'],
  [/webshell|web[-_ ]shell/i, 'T1505.003'],
  [/mimikatz|credential[-_ ]?dump|lsass/i, 'T1003'],
  [/miner|cryptojack|xmrig/i, 'T1496'],
  [/reverse[-_ ]?shell/i, 'T1059'],
];

function techniques(d: Detection): string[] {
  return [...new Set(TECHNIQUE_HINTS.filter(([re]) => re.test(d.name)).map(([, t]) => t))];
}

/**
 * One alert per detection, with the file and the device as entities. The alert id is derived
 * from the action and the detection's place in the result, so ingesting a repeated result adds
 * nothing.
 */
export function detectionAlerts(
  actionId: string,
  device: { deviceId: string; hostname: string },
  msg: ResultMessage,
): AlertInput[] {
  const at = new Date(msg.finishedAt).toISOString();
  return (msg.detections ?? []).map((d, i) => {
    const mitre = techniques(d);
    const name = basename(d.path).slice(0, 255);
    return {
      id: `${actionId}:detection:${i}`,
      title: `Malware detected: ${d.name}`.slice(0, 500),
      description: `${d.engine} matched ${d.name} in ${d.path} (SHA-256 ${d.sha256}, ${d.size} bytes) on ${device.hostname} during scan ${actionId}.`,
      severity: d.severity,
      category: 'Malware',
      detectionSource: AGENT_DETECTION_SOURCE,
      ...(mitre.length > 0 && { mitreTechniques: mitre }),
      firstActivityAt: at,
      entities: [
        { kind: 'device', hostname: device.hostname, deviceId: device.deviceId },
        {
          kind: 'file',
          ...(name && { name }),
          ...(d.path && { path: d.path }),
          sha256: d.sha256,
          size: d.size,
        },
      ],
    };
  });
}
