export const INCIDENT_STATUSES = ['active', 'in_progress', 'resolved', 'redirected'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const ALERT_STATUSES = ['new', 'in_progress', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export const CLASSIFICATIONS = ['true_positive', 'informational_expected', 'false_positive'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

/** Determinations allowed under each classification (the vocabulary responders know from Defender XDR). */
export const DETERMINATIONS = {
  true_positive: [
    'multistage_attack',
    'malicious_user_activity',
    'compromised_account',
    'malware',
    'phishing',
    'unwanted_software',
    'other',
  ],
  informational_expected: ['security_test', 'line_of_business_application', 'confirmed_activity', 'other'],
  false_positive: ['not_malicious', 'not_enough_data_to_validate', 'other'],
} as const satisfies Record<Classification, readonly string[]>;
export type Determination = (typeof DETERMINATIONS)[Classification][number];

export function isDeterminationOf(c: Classification, d: string): boolean {
  return (DETERMINATIONS[c] as readonly string[]).includes(d);
}

/** Incident activity kinds recorded in the activity log. */
export const INCIDENT_ACTIVITY_KINDS = [
  'created',
  'alert_added',
  'status_changed',
  'severity_changed',
  'assigned',
  'classified',
  'tagged',
  'retitled',
  'commented',
  'merged',
  'redirected',
  'resolved',
  'reopened',
  'action_requested',
] as const;
export type IncidentActivityKind = (typeof INCIDENT_ACTIVITY_KINDS)[number];

/** Longest comment an analyst may write on an incident. */
export const MAX_COMMENT_LENGTH = 30_000;
