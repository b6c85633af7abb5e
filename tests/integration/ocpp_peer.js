// SPDX-License-Identifier: MIT
// A charge point no one here wrote: ocpp-rpc's client in strict mode, so every CALL and
// CALLRESULT ampshare sends is validated against the OCPP 1.6 JSON schemas (a failure fails the
// test). Driven by test_ocpp_rpc.c, which runs the central system and the engine.
// Usage: node ocpp_peer.js <ws://host:port/ocpp> <password>. Prints one JSON line per step;
// exits 0 when every step passed.
'use strict';
const { RPCClient } = require('ocpp-rpc');

const [endpoint, password, scenario = 'engine', shutdownA] = process.argv.slice(2);
const log = (o) => console.log(JSON.stringify(o));
const fail = (msg) => { log({ fail: msg }); process.exit(1); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => new Date().toISOString();
setTimeout(() => fail('timeout'), 90000).unref();

const profiles = []; // every SetChargingProfile received: {purpose, limit, tx}
let limit = null;    // the limit in force, A
let txId = null;
let energyWh = 1000;
const received = []; // raw frames from the server
const calls = [];    // the central system's CALLs in order: {action, params}

function client(opts) {
    const c = new RPCClient({ endpoint, identity: 'CP1', protocols: ['ocpp1.6'], strictMode: true,
                              reconnect: false, callTimeoutMs: 10000, ...opts });
    c.on('strictValidationFailure', (e) => {
        if (!e.outbound) fail(`ampshare sent an invalid ${e.method}: ${e.error.message}`);
    });
    c.on('message', (m) => {
        if (process.env.OCPP_PEER_DEBUG) log({ [m.outbound ? 'tx' : 'rx']: String(m.message) });
        if (!m.outbound) received.push(String(m.message));
    });
    const record = (action, params) => calls.push({ action, params });
    c.handle('ChangeConfiguration', ({ params }) => {
        record('ChangeConfiguration', params);
        log({ got: 'ChangeConfiguration', key: params.key, value: params.value });
        return { status: 'Accepted' };
    });
    c.handle('SetChargingProfile', ({ params }) => {
        record('SetChargingProfile', params);
        const p = params.csChargingProfiles;
        const l = p.chargingSchedule.chargingSchedulePeriod[0].limit;
        profiles.push({ purpose: p.chargingProfilePurpose, limit: l, tx: p.transactionId });
        log({ got: 'SetChargingProfile', purpose: p.chargingProfilePurpose, limit: l,
              unit: p.chargingSchedule.chargingRateUnit });
        limit = l;
        return { status: 'Accepted' };
    });
    c.handle('GetCompositeSchedule', ({ params }) => {
        const r = { status: 'Accepted', connectorId: params.connectorId };
        if (limit !== null) {
            r.scheduleStart = now();
            r.chargingSchedule = { chargingRateUnit: 'A',
                                   chargingSchedulePeriod: [{ startPeriod: 0, limit }] };
        }
        return r;
    });
    c.handle('ClearChargingProfile', ({ params }) => {
        record('ClearChargingProfile', params);
        log({ got: 'ClearChargingProfile', id: params.id });
        return { status: 'Accepted' };
    });
    return c;
}

async function refused(opts, what) {
    const c = client(opts);
    try {
        await c.connect();
    } catch (e) {
        log({ refused: what });
        return;
    }
    fail(`${what} was let in`);
}

async function meter(c) {
    const a = Math.min(limit === null ? 0 : limit, 16);
    energyWh += Math.round(a * 230 / 3600);
    const sv = ['L1', 'L2', 'L3'].map((ph) => ({ value: a.toFixed(1), measurand: 'Current.Import',
                                                 phase: ph, unit: 'A' }));
    sv.push({ value: String(energyWh), measurand: 'Energy.Active.Import.Register', unit: 'Wh' });
    sv.push({ value: String(Math.round(a * 230 * 3)), measurand: 'Power.Active.Import',
              unit: 'W' });
    const mv = { connectorId: 1, meterValue: [{ timestamp: now(), sampledValue: sv }] };
    if (txId !== null) mv.transactionId = txId;
    await c.call('MeterValues', mv);
}

// Waits, sending meter values, until pred() holds.
async function until(c, pred, what, ms = 30000) {
    for (let t = 0; t < ms; t += 250) {
        if (pred()) return;
        await meter(c);
        await sleep(250);
    }
    fail(`waited in vain for ${what}`);
}

function expectError(code, id) {
    const hit = received.find((m) => {
        try {
            const f = JSON.parse(m);
            return f[0] === 4 && f[2] === code && (id === undefined || f[1] === id);
        } catch (e) { return false; }
    });
    if (!hit) fail(`no CALLERROR ${code} for ${id}`);
    log({ callerror: code, id });
}

async function engine() {
    await refused({ password: 'wrong-password' }, 'wrong password');
    await refused({}, 'no password');
    await refused({ identity: 'CP9', password }, 'unknown id');

    let c = client({ password });
    await c.connect();
    const boot = await c.call('BootNotification', { chargePointVendor: 'ampshare-test',
                                                    chargePointModel: 'ocpp-rpc' });
    if (boot.status !== 'Accepted' || !(boot.interval > 0)) fail('boot not accepted');
    log({ boot: boot.status, interval: boot.interval });
    await c.call('Heartbeat', {});
    await c.call('StatusNotification', { connectorId: 0, errorCode: 'NoError', status: 'Available' });
    await c.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Preparing' });
    const auth = await c.call('Authorize', { idTag: 'TAG1' });
    if (auth.idTagInfo.status !== 'Accepted') fail('tag refused');
    const start = await c.call('StartTransaction', { connectorId: 1, idTag: 'TAG1', meterStart: energyWh,
                                                     timestamp: now() });
    txId = start.transactionId;
    log({ transaction: txId });
    await c.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging' });
    // alone on the 32 A circuit, the engine offers all of it
    await until(c, () => limit === 32, 'a charging profile of 32 A');
    log({ charging_at: limit });
    // test_ocpp_rpc.c starts the Wall Connector on the same circuit now: equal shares
    await until(c, () => limit === 16, 'the profile cut to 16 A for the Wall Connector');
    log({ cut_to: limit });

    // malformed frames and unknown actions: the right CALLERROR, and the link stays up
    c.sendRaw('this is not json');
    c.sendRaw('[2,"m-unknown","FlyToTheMoon",{}]');
    c.sendRaw('[2,"m-missing","StatusNotification",{"connectorId":1}]');
    c.sendRaw('[2,"m-type","StatusNotification",{"connectorId":"one","errorCode":"NoError","status":"Charging"}]');
    await sleep(500);
    expectError('FormationViolation', '-1');
    expectError('NotImplemented', 'm-unknown');
    expectError('OccurenceConstraintViolation', 'm-missing');
    expectError('TypeConstraintViolation', 'm-type');
    await c.call('Heartbeat', {});

    // the connection killed, then restored without a new BootNotification (OCPP-J §5.4)
    const before = profiles.length;
    log({ killing: true, limit });
    await c.close({ force: true });
    received.length = 0;
    await sleep(1500);
    c = client({ password });
    await c.connect();
    log({ reconnected: true });
    await c.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging' });
    await until(c, () => received.some((m) => m.includes('MeterValueSampleInterval')) &&
                         received.length > 0, 'the meter values asked for again');
    await meter(c);
    const stop = await c.call('StopTransaction', { transactionId: txId, meterStop: energyWh,
                                                   timestamp: now(), reason: 'EVDisconnected' });
    if (typeof stop !== 'object') fail('no StopTransaction result');
    txId = null;
    await c.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
    log({ stopped: true, profiles: profiles.length, since_kill: profiles.length - before });
    await sleep(1500);
    await c.close();
}

// Boots and starts a transaction for tag; returns once a charging profile is in force.
async function charging(c, tag) {
    await c.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Preparing' });
    const meterStart = energyWh;
    const start = await c.call('StartTransaction', { connectorId: 1, idTag: tag, meterStart,
                                                     timestamp: now() });
    if (start.idTagInfo.status !== 'Accepted') fail(`${tag} refused`);
    txId = start.transactionId;
    await c.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Charging' });
    await until(c, () => limit !== null, 'a charging profile');
    return meterStart;
}

// Sends meter values until the central system goes away (the test kills or stops it).
async function untilGone(c) {
    let gone = false;
    c.on('close', () => { gone = true; });
    while (!gone) {
        await meter(c).catch(() => {});
        await sleep(250);
    }
    log({ gone: true });
}

async function connected() {
    const c = client({ password });
    await c.connect();
    const boot = await c.call('BootNotification', { chargePointVendor: 'ampshare-test',
                                                    chargePointModel: 'ocpp-rpc' });
    if (boot.status !== 'Accepted') fail('boot not accepted');
    return c;
}

// One transaction started, charged and stopped by the car (EVDisconnected), then a second one
// left open until the central system is killed.
async function sessions() {
    const c = await connected();
    const meterStart = await charging(c, 'TAG-A');
    for (let i = 0; i < 12; i++) {
        await meter(c);
        await sleep(250);
    }
    energyWh += 7; // the register moves on between the last meter value and the stop
    await c.call('StopTransaction', { transactionId: txId, meterStop: energyWh, timestamp: now(),
                                      reason: 'EVDisconnected' });
    log({ closed: txId, tag: 'TAG-A', energy_wh: energyWh - meterStart });
    txId = null;
    await c.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
    await charging(c, 'TAG-B');
    await meter(c);
    log({ open: txId, tag: 'TAG-B' });
    await untilGone(c);
}

// A transaction charging when the central system is stopped (SIGTERM): the shutdown current
// must arrive as a TxDefaultProfile, and our TxProfile be cleared only after that default.
async function shutdown() {
    const c = await connected();
    await charging(c, 'TAG-C');
    // charging above the shutdown current, so the stop is a cut
    await until(c, () => profiles.some((p) => p.purpose === 'TxProfile' &&
                                              p.limit > Number(shutdownA)), 'a TxProfile');
    const txProfile = calls.find((x) => x.action === 'SetChargingProfile' &&
        x.params.csChargingProfiles.chargingProfilePurpose === 'TxProfile');
    const txProfileId = txProfile.params.csChargingProfiles.chargingProfileId;
    const before = calls.length;
    log({ ready: txId, tx_profile_id: txProfileId });
    await untilGone(c);
    const after = calls.slice(before);
    const safe = after.findIndex((x) => x.action === 'SetChargingProfile' &&
        x.params.csChargingProfiles.chargingProfilePurpose === 'TxDefaultProfile' &&
        x.params.csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit ===
            Number(shutdownA));
    const clear = after.findIndex((x) => x.action === 'ClearChargingProfile');
    log({ shutdown_calls: after.map((x) => x.action + ' ' + JSON.stringify(x.params.id ||
        (x.params.csChargingProfiles || {}).chargingProfilePurpose || x.params.key || '')) });
    if (safe < 0) fail(`no TxDefaultProfile of ${shutdownA} A at shutdown`);
    if (clear < 0) fail('no ClearChargingProfile at shutdown');
    if (after[clear].params.id !== txProfileId) {
        fail(`cleared profile ${after[clear].params.id}, not the TxProfile ${txProfileId}`);
    }
    if (clear < safe) fail('the TxProfile was cleared before the safe default was set');
    if (after.some((x) => x.action === 'ClearChargingProfile' && x.params.id !== txProfileId)) {
        fail('cleared a profile that is not our TxProfile (the safe default must stay)');
    }
}

const scenarios = { engine, sessions, shutdown };
if (!scenarios[scenario]) fail(`unknown scenario ${scenario}`);
scenarios[scenario]().then(() => {
    log({ ok: true });
    process.exit(0);
}).catch((e) => fail(String(e && e.stack || e)));
