// A fleet of simulated agents for benchmarks that need only the channel and the indicator sync
// (bench/agents/sim-indicators.mjs). Each device enrolls with its own Ed25519 key and single-use
// token, opens one pinned TLS WebSocket, signs its hello, heartbeats at the server's interval and
// keeps an indicator set in step with the server the way the real agent's IndicatorSyncClient
// does (packages/agent/src/indicators/indicator-sync.client.ts): `indicators_sync` after every
// welcome and every `indicators_changed`, deltas applied in order, snapshots collected page by
// page, the next page asked for only once the last one is applied. One difference: a change
// announced while an answer is in flight is asked for once that answer is in (the real agent asks
// at once and gets the same delta twice), so the fleet sends no more than the agent would. It answers commands with a
// succeeded result after verifying their signature, so the fleet stays healthy on the server.
// bench/agents/sim-agents.mjs keeps its own agent (its fan-out and isolate figures depend on it).
import { createHash, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { Agent as HttpsAgent } from 'node:https';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { stringify } from 'safe-stable-stringify';
import { enroll, inventory, OFF_STATE, pool, sleep } from './lib.mjs';

/** Counters shared by the fleet, for the bench's report. */
export const fleetCounters = {
  connected: 0,
  closed: 0,
  badSignature: 0,
  syncRequests: 0,
  deltas: 0,
  snapshots: 0,
  versionGaps: 0,
};

class SimAgent {
  constructor(fleet, i, hostname, privateKey) {
    this.fleet = fleet;
    this.i = i;
    this.hostname = hostname;
    this.privateKey = privateKey;
    this.deviceId = null;
    this.ws = null;
    this.online = false;
    /** The indicator set held: id → value; version null until the first snapshot. */
    this.indicators = new Map();
    this.version = null;
    this.building = null; // { version, map } while a snapshot's pages arrive
    this.inFlight = false; // a sync asked and not answered yet
    this.wantAgain = false; // an indicators_changed arrived while in flight
  }

  send(msg) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  sync(version, cursor) {
    this.inFlight = true;
    fleetCounters.syncRequests++;
    this.send({ type: 'indicators_sync', version, ...(cursor && { cursor }) });
  }

  connect() {
    const { wsUrl, certPin } = this.fleet;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { rejectUnauthorized: false, perMessageDeflate: false });
      this.ws = ws;
      ws.on('upgrade', (res) => {
        const pin = createHash('sha256').update(res.socket.getPeerCertificate().raw).digest('hex');
        if (pin !== certPin) ws.terminate();
      });
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data));
        if (msg.type === 'welcome') {
          this.online = true;
          fleetCounters.connected++;
          this.building = null;
          this.sync(this.version);
          resolve();
          return;
        }
        this.onMessage(msg);
      });
      ws.on('close', (code) => {
        if (this.online) fleetCounters.closed++;
        this.online = false;
        reject(new Error(`closed with ${code}`));
      });
      ws.on('error', () => undefined);
    });
  }

  onMessage(msg) {
    switch (msg.type) {
      case 'challenge': {
        const text = `quell-agent-hello-v1\n${this.deviceId}\n${msg.nonce}`;
        this.send({
          type: 'hello',
          deviceId: this.deviceId,
          protocol: 1,
          signature: sign(null, Buffer.from(text), this.privateKey).toString('base64'),
          inventory: inventory(this.hostname),
          state: OFF_STATE,
          running: [],
        });
        return;
      }
      case 'indicators_changed':
        if (this.inFlight || this.building) this.wantAgain = true;
        else if (msg.rev !== this.version) this.sync(this.version);
        return;
      case 'indicators_delta':
        return this.delta(msg);
      case 'indicators_snapshot':
        return this.snapshot(msg);
      case 'command': {
        const cmd = msg.command;
        const signed = Buffer.from(`quell-command-v1\n${stringify(cmd)}`, 'utf8');
        if (!verify(null, signed, this.fleet.serverKey, Buffer.from(msg.signature, 'base64'))) {
          fleetCounters.badSignature++;
          this.send({ type: 'ack', actionId: cmd.actionId, status: 'refused', reason: 'bad signature' });
          return;
        }
        this.send({ type: 'ack', actionId: cmd.actionId, status: 'accepted' });
        this.send({
          type: 'result',
          actionId: cmd.actionId,
          status: 'succeeded',
          result: {},
          evidence: {},
          finishedAt: Date.now(),
        });
        return;
      }
      default:
        return;
    }
  }

  delta(m) {
    this.inFlight = false;
    if (m.fromVersion !== this.version) {
      // Not the version we hold: start over, as the real agent does on IndicatorVersionError.
      fleetCounters.versionGaps++;
      this.sync(null);
      return;
    }
    fleetCounters.deltas++;
    const now = performance.now();
    for (const id of m.removals) this.indicators.delete(id);
    for (const u of m.upserts) {
      this.indicators.set(u.id, u.value);
      this.fleet.onHeld(this, u, now);
    }
    this.version = m.toVersion;
    if (m.more || this.wantAgain) {
      this.wantAgain = false;
      this.sync(this.version);
    }
  }

  snapshot(m) {
    this.inFlight = false;
    if (m.first || this.building?.version !== m.version)
      this.building = { version: m.version, map: new Map() };
    for (const u of m.indicators) this.building.map.set(u.id, u);
    if (m.nextCursor) {
      this.sync(null, m.nextCursor);
      return;
    }
    fleetCounters.snapshots++;
    const now = performance.now();
    this.indicators = new Map();
    for (const u of this.building.map.values()) {
      this.indicators.set(u.id, u.value);
      this.fleet.onHeld(this, u, now);
    }
    this.version = this.building.version;
    this.building = null;
    this.wantAgain = false;
    this.sync(this.version); // whatever changed while the pages were pulled
  }
}

/**
 * Enrolls and connects `n` simulated agents against a server started with startServerChild.
 * `onHeld(agent, indicator, at)` is called whenever an agent takes an indicator into its set
 * (at = performance.now()). Prints progress with `out`.
 */
export async function startFleet(srv, n, { onHeld = () => undefined, out = console.log } = {}) {
  const fleet = {
    agents: [],
    wsUrl: `${srv.agentUrl.replace(/^https/, 'wss')}/agent/v1/connect`,
    certPin: srv.certSha256,
    serverKey: null,
    onHeld,
    heartbeat: null,
    stop() {
      clearInterval(this.heartbeat);
      for (const a of this.agents) a.ws?.terminate();
    },
  };
  let t0 = performance.now();
  const tokens = [];
  for (let left = n; left > 0; left -= 1000) tokens.push(...(await srv.tokens(Math.min(1000, left))));
  for (let i = 0; i < n; i++) {
    const { privateKey } = generateKeyPairSync('ed25519');
    fleet.agents.push(new SimAgent(fleet, i, `sim-${String(i).padStart(5, '0')}`, privateKey));
  }
  out(`Created ${n} enrollment tokens and key pairs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  t0 = performance.now();
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 32, rejectUnauthorized: false });
  let enrolled = null;
  await pool(fleet.agents, 32, async (a, i) => {
    const publicKey = createPublicKey(a.privateKey)
      .export({ format: 'der', type: 'spki' })
      .toString('base64');
    const res = await enroll(httpsAgent, srv.agentUrl, {
      token: tokens[i],
      publicKey,
      inventory: inventory(a.hostname),
    });
    a.deviceId = res.deviceId;
    enrolled ??= res;
  });
  httpsAgent.destroy();
  out(`Enrolled ${n} devices over HTTPS (32 at a time) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  fleet.serverKey = createPublicKey({
    key: Buffer.from(enrolled.serverPublicKey, 'base64'),
    format: 'der',
    type: 'spki',
  });

  t0 = performance.now();
  let failed = 0;
  await pool(fleet.agents, 100, async (a) => {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await a.connect();
        return;
      } catch {
        await sleep(200);
      }
    }
    failed++;
  });
  out(
    `Connected ${fleetCounters.connected}/${n} WebSockets (TLS, pinned, signed hello; 100 handshakes in flight) in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${failed} failed`,
  );

  const TICK = 250;
  const buckets = Math.max(1, Math.round(enrolled.heartbeatMs / TICK));
  let tick = 0;
  fleet.heartbeat = setInterval(() => {
    const b = tick++ % buckets;
    for (let i = b; i < fleet.agents.length; i += buckets) {
      const a = fleet.agents[i];
      if (a.online) a.send({ type: 'heartbeat', state: OFF_STATE });
    }
  }, TICK);
  return fleet;
}
