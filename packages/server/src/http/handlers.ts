import type { AlertInput } from '@quell/contracts';
import { ACTION_CATALOG, type ExecutorKind } from '@quell/core';
import type { Services } from '../services/services.js';
import { ocsfToAlert } from '../services/ocsf.mapper.js';
import { ACTION_CSV_COLUMNS, actionCsvRow } from './csv.js';
import { who, type Handlers } from './handler-types.js';
import { indicatorHandlers } from './indicator.handlers.js';
import { fileHandlers } from './file.handlers.js';
import { analysisHandlers } from './analysis.handlers.js';

export const SESSION_COOKIE = 'quell_session';
const EXPORT_MAX_ROWS = 100_000;

export interface HandlerOptions {
  secureCookies: boolean;
  version: string;
  dialect: string;
  onIngested: (n: number) => void;
}

/** Thin handlers: each calls one service and returns a typed body (STYLE §5). */
export function createHandlers(s: Services, o: HandlerOptions): Handlers {
  return {
    health: () => Promise.resolve({ status: 'ok' as const, version: o.version, database: o.dialect }),

    login: async ({ body, reply }) => {
      const mode = body.mode ?? 'cookie';
      const { secret, ...session } = await s.access.login(body.email, body.password, mode);
      if (mode === 'cookie') {
        void reply.setCookie(SESSION_COOKIE, secret, {
          httpOnly: true,
          sameSite: 'strict',
          secure: o.secureCookies,
          path: '/',
          expires: new Date(session.expiresAt),
        });
      }
      return session;
    },
    logout: async (c) => {
      await s.access.logout(who(c));
      void c.reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true as const };
    },
    me: (c) => Promise.resolve(s.access.me(who(c))),

    ingestAlerts: async (c) => {
      const alerts: AlertInput[] = 'alerts' in c.body ? c.body.alerts : [c.body];
      const res = await s.ingest.ingest(who(c).principal, alerts);
      o.onIngested(res.results.filter((r) => r.created).length);
      return res;
    },
    ingestOcsf: async (c) => {
      const findings = Array.isArray(c.body) ? c.body : [c.body];
      const res = await s.ingest.ingest(who(c).principal, findings.map(ocsfToAlert));
      o.onIngested(res.results.filter((r) => r.created).length);
      return res;
    },
    getAlert: ({ params }) => s.incidents.alert(params.id),

    listIncidents: ({ query }) => s.incidents.list(query),
    getIncident: ({ params }) => s.incidents.get(params.id),
    patchIncident: (c) => s.incidents.patch(who(c).principal, c.params.id, c.body),
    commentIncident: (c) => s.incidents.comment(who(c).principal, c.params.id, c.body.text),
    incidentActivity: async ({ params }) => ({ items: await s.incidents.activity(params.id) }),
    incidentGraph: ({ params }) => s.incidents.graph(params.id),
    mergeIncidents: (c) => s.incidents.merge(who(c).principal, c.params.id, c.body),

    actionCatalog: () =>
      Promise.resolve({
        items: ACTION_CATALOG.map((d) => ({
          id: d.id,
          title: d.title,
          description: d.description,
          category: d.category,
          targetKind: d.targetKind,
          kind: d.kind,
          destructive: d.destructive,
          reversible: d.reversible,
          readOnly: d.readOnly,
          undo: 'undo' in d ? d.undo : null,
          undoOf: 'undoOf' in d ? d.undoOf : null,
          requestRoles: [...d.requestRoles],
          approveRoles: [...d.approveRoles],
          executors: [...d.executors],
          executorAvailable: s.executors.available(d.id, d.executors as readonly ExecutorKind[]),
          params: d.params,
          result: d.result,
        })),
      }),
    requestAction: (c) => s.actions.request(who(c).principal, c.body),
    listActions: ({ query }) => s.actions.list(query),
    exportActions: async ({ query, reply }) => {
      const lines: string[] = [ACTION_CSV_COLUMNS.join(',')];
      let cursor: string | undefined = undefined;
      do {
        const page: Awaited<ReturnType<typeof s.actions.list>> = await s.actions.list({
          ...query,
          limit: 500,
          ...(cursor && { cursor }),
        });
        for (const a of page.items) lines.push(actionCsvRow(a));
        cursor = page.nextCursor ?? undefined;
      } while (cursor && lines.length <= EXPORT_MAX_ROWS);
      const stamp = new Date(s.ctx.clock.now()).toISOString().slice(0, 10);
      void reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="quell-actions-${stamp}.csv"`);
      return `${lines.join('\r\n')}\r\n`;
    },
    getAction: ({ params }) => s.actions.detail(params.id),
    approveAction: (c) => s.actions.approve(who(c).principal, c.params.id, c.body.comment),
    rejectAction: (c) => s.actions.reject(who(c).principal, c.params.id, c.body.comment),
    cancelAction: (c) => s.actions.cancel(who(c).principal, c.params.id, c.body.comment),
    undoAction: (c) => s.actions.undo(who(c).principal, c.params.id, c.body.comment),
    ...indicatorHandlers(s),
    ...fileHandlers(s),
    ...analysisHandlers(s),
    requestActionBatch: (c) => s.actionBatches.request(who(c).principal, c.body),
    listActionBatches: (c) => s.actionBatches.list(c.query),
    getActionBatch: (c) => s.actionBatches.get(c.params.id),
    bulkApprove: async (c) => ({
      actions: await s.actions.bulkDecide(who(c).principal, c.body.ids, 'approve', c.body.comment),
    }),
    bulkReject: async (c) => ({
      actions: await s.actions.bulkDecide(who(c).principal, c.body.ids, 'reject', c.body.comment),
    }),
    bulkUndo: async (c) => ({
      actions: await s.actions.bulkUndo(who(c).principal, c.body.ids, c.body.comment),
    }),

    listDeviceGroups: async () => ({ items: await s.deviceGroups.list() }),
    createDeviceGroup: (c) => s.deviceGroups.create(who(c).principal, c.body),
    patchDeviceGroup: (c) => s.deviceGroups.patch(who(c).principal, c.params.id, c.body),
    deleteDeviceGroup: async (c) => {
      await s.deviceGroups.remove(who(c).principal, c.params.id);
      return { ok: true as const };
    },
    previewDeviceGroup: ({ body }) => s.deviceGroups.preview(body),
    listDevices: async (c) => ({ items: await s.devices.list(who(c).principal, c.query) }),
    getDevice: (c) => s.devices.get(who(c).principal, c.params.id),
    revokeDevice: (c) => s.devices.revoke(who(c).principal, c.params.id, c.body.comment),
    listEnrollmentTokens: async () => ({ items: await s.enrollment.listTokens() }),
    createEnrollmentToken: (c) => s.enrollment.createToken(who(c).principal, c.body),
    revokeEnrollmentToken: (c) => s.enrollment.revokeToken(who(c).principal, c.params.id),
    downloadActionPackage: async (c) => {
      const p = await s.packages.open(who(c).principal, c.params.id);
      void c.reply
        .type('application/zip')
        .header('content-length', p.size)
        .header('content-disposition', `attachment; filename="${p.filename}"`);
      return p.stream;
    },
    listYaraRules: async () => ({ items: await s.yara.list() }),
    createYaraRule: (c) => s.yara.create(who(c).principal, c.body),
    deleteYaraRule: async (c) => {
      await s.yara.remove(who(c).principal, c.params.id);
      return { ok: true as const };
    },

    listUsers: async () => ({ items: await s.access.users() }),
    createUser: (c) => s.access.createUser(who(c).principal, c.body),
    patchUser: (c) => s.access.patchUser(who(c).principal, c.params.id, c.body),
    listTokens: async () => ({ items: await s.access.tokens() }),
    createToken: (c) => s.access.createToken(who(c).principal, c.body),
    revokeToken: async (c) => {
      await s.access.revokeToken(who(c).principal, c.params.id);
      return { ok: true as const };
    },

    listAudit: async ({ query }) => ({ items: await s.ctx.store.audit.list(query) }),
    verifyAudit: () => s.ctx.store.audit.verify(),

    getSettings: () => s.settings.get(),
    patchSettings: (c) => s.settings.patch(who(c).principal, c.body),
  };
}
