// The NGSI-LD temporal API (/ngsi-ld/v1/temporal): the history that core writes record,
// time windows, lastN, aggregations, the temporal write operations, queries, Content-Range
// paging, tenants, and history that survives kill -9. Every expectation is computed here
// from what the test itself sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startServer, freshDataDir } from './lib/server.mjs';
import { client, assertProblem, LD, enc } from './lib/http.mjs';

// temporal_merged.test.mjs runs these tests again with extra server flags.
const EXTRA_ARGS = globalThis.TEMPORAL_SERVER_ARGS ?? [];
const start = (options = {}) => startServer({ ...options, args: [...EXTRA_ARGS, ...(options.args ?? [])] });

let server;
let c;
before(async () => {
  server = await start();
  c = client(server.url);
});
after(async () => {
  await server?.stop();
});

const HOUR = 3600e3;
const iso = (ms) => new Date(ms).toISOString();
const prop = (value, t, extra = {}) => ({ type: 'Property', value, observedAt: iso(t), ...extra });
const rel = (object, t) => ({ type: 'Relationship', object, observedAt: iso(t) });

function temporal(cl, id, qs = '', headers = {}) {
  return cl.get(`${LD}/temporal/entities/${enc(id)}${qs ? `?${qs}` : ''}`, { headers });
}
async function ok(r, status) {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`);
  return r;
}
// [value, time in ms] of normalized instances.
const pairs = (instances) => instances.map((i) => [i.value, Date.parse(i.observedAt)]);
// [value, time in ms] of temporalValues "values".
const tvPairs = (values) => values.map(([v, t]) => [v, Date.parse(t)]);

test('core writes record each attribute instance; normalized and temporalValues list them oldest first', async () => {
  const id = 'urn:ngsi-ld:Vehicle:rec';
  const t0 = Date.parse('2024-01-10T08:00:00Z');
  const sent = [];  // [value, time] of every speed instance this test writes
  const speed = (v, t) => { sent.push([v, t]); return prop(v, t); };

  await ok(await c.post(`${LD}/entities`, {
    id, type: 'Vehicle', speed: speed(10.5, t0), owner: rel('urn:ngsi-ld:Person:an', t0),
  }), 201);
  // Out of time order on purpose: the history is ordered by instance time, not by arrival.
  await ok(await c.patch(`${LD}/entities/${enc(id)}/attrs`, { speed: speed(30.25, t0 + 3 * HOUR) }), 204);
  await ok(await c.patch(`${LD}/entities/${enc(id)}/attrs`, { speed: speed(20.75, t0 + 1 * HOUR) }), 204);
  await ok(await c.patch(`${LD}/entities/${enc(id)}/attrs/speed`, speed(25.5, t0 + 2 * HOUR)), 204);
  await ok(await c.post(`${LD}/entities/${enc(id)}/attrs`, { speed: speed(40, t0 + 4 * HOUR) }), 204);
  await ok(await c.put(`${LD}/entities/${enc(id)}`, {
    type: 'Vehicle', speed: speed(45.5, t0 + 5 * HOUR), owner: rel('urn:ngsi-ld:Person:binh', t0 + 5 * HOUR),
  }), 204);
  const up = await c.post(`${LD}/entityOperations/upsert`, [{ id, type: 'Vehicle', speed: speed(50.125, t0 + 6 * HOUR) }]);
  assert.ok(up.status === 201 || up.status === 204, up.text);
  const upd = await c.post(`${LD}/entityOperations/update`, [{ id, type: 'Vehicle', speed: speed(55, t0 + 7 * HOUR) }]);
  assert.equal(upd.status, 204, upd.text);

  const expected = [...sent].sort((a, b) => a[1] - b[1]);

  const norm = await ok(await temporal(c, id), 200);
  assert.equal(norm.body.id, id);
  assert.equal(norm.body.type, 'Vehicle');
  assert.ok(Array.isArray(norm.body.speed));
  assert.deepEqual(pairs(norm.body.speed), expected);
  for (const inst of norm.body.speed) {
    assert.equal(inst.type, 'Property');
    assert.match(inst.instanceId, /^urn:ngsi-ld:Instance:/);
  }
  assert.equal(new Set(norm.body.speed.map((i) => i.instanceId)).size, sent.length, 'instanceIds are distinct');
  assert.deepEqual(norm.body.owner.map((i) => [i.type, i.object, Date.parse(i.observedAt)]), [
    ['Relationship', 'urn:ngsi-ld:Person:an', t0],
    ['Relationship', 'urn:ngsi-ld:Person:binh', t0 + 5 * HOUR],
  ]);

  const tv = await ok(await temporal(c, id, 'options=temporalValues'), 200);
  assert.equal(tv.body.speed.type, 'Property');
  assert.deepEqual(tvPairs(tv.body.speed.values), expected);
  assert.equal(tv.body.owner.type, 'Relationship');
  assert.deepEqual(tvPairs(tv.body.owner.objects), [['urn:ngsi-ld:Person:an', t0], ['urn:ngsi-ld:Person:binh', t0 + 5 * HOUR]]);
  // format=temporalValues is the other spelling.
  const fmt = await ok(await temporal(c, id, 'format=temporalValues&attrs=speed'), 200);
  assert.deepEqual(tvPairs(fmt.body.speed.values), expected);
  assert.equal(fmt.body.owner, undefined, 'attrs= restricts the attributes');

  // sysAttrs adds createdAt/modifiedAt to each instance.
  const sys = await ok(await temporal(c, id, 'options=sysAttrs&attrs=speed'), 200);
  for (const inst of sys.body.speed) {
    assert.ok(!Number.isNaN(Date.parse(inst.createdAt)), JSON.stringify(inst));
    assert.ok(!Number.isNaN(Date.parse(inst.modifiedAt)), JSON.stringify(inst));
  }
  assert.equal(norm.body.speed[0].createdAt, undefined, 'no system attributes without sysAttrs');

  // By modifiedAt the same instances are there, stamped by the server.
  const mod = await ok(await temporal(c, id, 'options=temporalValues&attrs=speed&timeproperty=modifiedAt'), 200);
  assert.deepEqual(mod.body.speed.values.map(([v]) => v).sort((a, b) => a - b), sent.map(([v]) => v).sort((a, b) => a - b));

  // Without observedAt the instance time is modifiedAt: newer than every 2024 observation.
  await ok(await c.patch(`${LD}/entities/${enc(id)}/attrs`, { speed: { type: 'Property', value: 99.5 } }), 204);
  const last = await ok(await temporal(c, id, 'attrs=speed&lastN=1'), 200);
  assert.equal(last.body.speed.length, 1);
  assert.equal(last.body.speed[0].value, 99.5);
});

test('timerel windows: before excludes timeAt, after includes it, between is [timeAt, endTimeAt)', async () => {
  const id = 'urn:ngsi-ld:Vehicle:win';
  const t0 = Date.parse('2024-02-01T00:00:00Z');
  const vals = [1.5, 2.5, 3.5, 4.5, 5.5];
  await ok(await c.post(`${LD}/entities`, { id, type: 'Vehicle', speed: prop(vals[0], t0), fuel: prop(70, t0) }), 201);
  for (let k = 1; k < vals.length; k++) {
    await ok(await c.patch(`${LD}/entities/${enc(id)}/attrs`, { speed: prop(vals[k], t0 + k * HOUR) }), 204);
  }
  const all = vals.map((v, k) => [v, t0 + k * HOUR]);
  const inWindow = (lo, hi) => all.filter(([, t]) => t >= lo && t < hi);
  const t2 = t0 + 2 * HOUR;

  const bef = await ok(await temporal(c, id, `attrs=speed&timerel=before&timeAt=${iso(t2)}`), 200);
  assert.deepEqual(pairs(bef.body.speed), inWindow(-Infinity, t2));
  const aft = await ok(await temporal(c, id, `attrs=speed&timerel=after&timeAt=${iso(t2)}`), 200);
  assert.deepEqual(pairs(aft.body.speed), inWindow(t2, Infinity));
  const btw = await ok(await temporal(c, id,
    `attrs=speed&timerel=between&timeAt=${iso(t0 + HOUR)}&endTimeAt=${iso(t0 + 3 * HOUR)}&timeproperty=observedAt`), 200);
  assert.deepEqual(pairs(btw.body.speed), inWindow(t0 + HOUR, t0 + 3 * HOUR));
  assert.equal(btw.body.speed.length, 2);

  // An attribute without an instance in the window is left out; the entity is still answered.
  const aftFuel = await ok(await temporal(c, id, `timerel=after&timeAt=${iso(t0 + HOUR)}`), 200);
  assert.equal(aftFuel.body.fuel, undefined, aftFuel.text);
  assert.deepEqual(pairs(aftFuel.body.speed), inWindow(t0 + HOUR, Infinity));
  const empty = await ok(await temporal(c, id, `timerel=before&timeAt=${iso(t0)}`), 200);
  assert.equal(empty.body.id, id);
  assert.equal(empty.body.speed, undefined);
  assert.equal(empty.body.fuel, undefined);
});

test('lastN keeps the newest N instances of each attribute, oldest first, inside the window', async () => {
  const id = 'urn:ngsi-ld:Vehicle:lastn';
  const t0 = Date.parse('2024-02-05T00:00:00Z');
  const speeds = [0.5, 1.25, 2.125, 3.0625, 4.5, 5.75];
  await ok(await c.post(`${LD}/entities`, { id, type: 'Vehicle', speed: prop(speeds[0], t0), fuel: prop(80, t0) }), 201);
  for (let k = 1; k < speeds.length; k++) {
    await ok(await c.patch(`${LD}/entities/${enc(id)}/attrs`, { speed: prop(speeds[k], t0 + k * HOUR) }), 204);
  }
  await ok(await c.patch(`${LD}/entities/${enc(id)}/attrs`, { fuel: prop(60, t0 + 2 * HOUR) }), 204);
  const speedAll = speeds.map((v, k) => [v, t0 + k * HOUR]);
  const fuelAll = [[80, t0], [60, t0 + 2 * HOUR]];

  const r = await ok(await temporal(c, id, 'lastN=3'), 200);
  assert.deepEqual(pairs(r.body.speed), speedAll.slice(-3));
  assert.deepEqual(pairs(r.body.fuel), fuelAll.slice(-3));
  const one = await ok(await temporal(c, id, 'lastN=1&options=temporalValues'), 200);
  assert.deepEqual(tvPairs(one.body.speed.values), speedAll.slice(-1));
  assert.deepEqual(tvPairs(one.body.fuel.values), fuelAll.slice(-1));
  // Inside a window: the newest 2 before t0+4h.
  const win = await ok(await temporal(c, id, `attrs=speed&lastN=2&timerel=before&timeAt=${iso(t0 + 4 * HOUR)}`), 200);
  assert.deepEqual(pairs(win.body.speed), speedAll.filter(([, t]) => t < t0 + 4 * HOUR).slice(-2));
  const big = await ok(await temporal(c, id, 'attrs=speed&lastN=100'), 200);
  assert.deepEqual(pairs(big.body.speed), speedAll);
});

// Per-bucket aggregation of [value, time] samples, bucket k = [origin + k*period, origin + (k+1)*period).
function aggregate(samples, origin, period) {
  const buckets = new Map();
  for (const [v, t] of samples) {
    const k = Math.floor((t - origin) / period);
    if (!buckets.has(k)) buckets.set(k, []);
    buckets.get(k).push(v);
  }
  const out = { totalCount: [], distinctCount: [], sum: [], avg: [], min: [], max: [], stddev: [], sumsq: [] };
  for (const k of [...buckets.keys()].sort((a, b) => a - b)) {
    const vs = buckets.get(k);
    const n = vs.length;
    const sum = vs.reduce((a, b) => a + b, 0);
    const avg = sum / n;
    const sumsq = vs.reduce((a, b) => a + b * b, 0);
    const stddev = n > 1 ? Math.sqrt(vs.reduce((a, b) => a + (b - avg) ** 2, 0) / (n - 1)) : 0;
    const start = origin + k * period;
    const row = (x) => [x, start, start + period];
    out.totalCount.push(row(n));
    out.distinctCount.push(row(new Set(vs).size));
    out.sum.push(row(sum));
    out.avg.push(row(avg));
    out.min.push(row(Math.min(...vs)));
    out.max.push(row(Math.max(...vs)));
    out.stddev.push(row(stddev));
    out.sumsq.push(row(sumsq));
  }
  return out;
}
function assertBuckets(got, want, label) {
  assert.ok(Array.isArray(got), `${label}: ${JSON.stringify(got)}`);
  assert.equal(got.length, want.length, `${label}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
  got.forEach(([v, s, e], i) => {
    const [wv, ws, we] = want[i];
    assert.equal(typeof v, 'number', `${label}[${i}] value is a number`);
    assert.ok(Math.abs(v - wv) <= 1e-9 * Math.max(1, Math.abs(wv)), `${label}[${i}]: got ${v}, want ${wv}`);
    assert.equal(Date.parse(s), ws, `${label}[${i}] start ${s}`);
    assert.equal(Date.parse(e), we, `${label}[${i}] end ${e}`);
  });
}
const METHODS = ['totalCount', 'distinctCount', 'sum', 'avg', 'min', 'max', 'stddev', 'sumsq'];

test('aggregatedValues over PT1H buckets aligned on timeAt match every method computed here', async () => {
  const id = 'urn:ngsi-ld:Vehicle:aggr';
  const timeAt = Date.parse('2024-03-10T10:15:00Z');
  const m = 60e3;
  // [value, time]: one before the window, three buckets with data, bucket 2 empty, repeats for distinctCount.
  const samples = [
    [100.5, timeAt - 5 * m],                                     // before timeAt: excluded
    [1.5, timeAt], [2.25, timeAt + 20 * m], [1.5, timeAt + 59 * m],   // bucket 0
    [7.125, timeAt + HOUR + 30 * m],                              // bucket 1 (single value)
    [-3.75, timeAt + 3 * HOUR], [0.1, timeAt + 3 * HOUR + 10 * m], [4.2, timeAt + 3 * HOUR + 45 * m], // bucket 3
    [9.9, timeAt + 4 * HOUR],                                     // at endTimeAt of the between query
  ];
  await ok(await c.post(`${LD}/entities`, { id, type: 'Vehicle', speed: prop(samples[0][0], samples[0][1]) }), 201);
  for (const [v, t] of samples.slice(1)) {
    await ok(await c.patch(`${LD}/entities/${enc(id)}/attrs`, { speed: prop(v, t) }), 204);
  }

  const after = samples.filter(([, t]) => t >= timeAt);
  const want = aggregate(after, timeAt, HOUR);
  assert.equal(want.sum.length, 4, 'the fixture has four non-empty buckets');
  const r = await ok(await temporal(c, id,
    `attrs=speed&options=aggregatedValues&aggrMethods=${METHODS.join(',')}&aggrPeriodDuration=PT1H&timerel=after&timeAt=${iso(timeAt)}`), 200);
  assert.equal(r.body.speed.type, 'Property');
  for (const method of METHODS) assertBuckets(r.body.speed[method], want[method], method);
  assert.ok(!r.body.speed.sum.some(([, s]) => Date.parse(s) === timeAt + 2 * HOUR), 'the empty bucket is absent');

  // between: [timeAt, timeAt + 4h) leaves out the instance at endTimeAt.
  const btw = samples.filter(([, t]) => t >= timeAt && t < timeAt + 4 * HOUR);
  const wantBtw = aggregate(btw, timeAt, HOUR);
  const rb = await ok(await temporal(c, id,
    `attrs=speed&options=aggregatedValues&aggrMethods=sum,totalCount,max&aggrPeriodDuration=PT1H&timerel=between&timeAt=${iso(timeAt)}&endTimeAt=${iso(timeAt + 4 * HOUR)}`), 200);
  for (const method of ['sum', 'totalCount', 'max']) assertBuckets(rb.body.speed[method], wantBtw[method], `between ${method}`);
  assert.equal(rb.body.speed.avg, undefined, 'only the methods asked for');

  // Default PT0S: one bucket over the whole window.
  const one = await ok(await temporal(c, id,
    `attrs=speed&options=aggregatedValues&aggrMethods=avg,min,totalCount&timerel=between&timeAt=${iso(timeAt)}&endTimeAt=${iso(timeAt + 4 * HOUR)}`), 200);
  const n = btw.length;
  const avg = btw.reduce((a, [v]) => a + v, 0) / n;
  for (const [method, value] of [['avg', avg], ['min', Math.min(...btw.map(([v]) => v))], ['totalCount', n]]) {
    assert.equal(one.body.speed[method].length, 1, `${method}: ${one.text}`);
    assert.ok(Math.abs(one.body.speed[method][0][0] - value) < 1e-9, `${method}: ${one.body.speed[method][0][0]} vs ${value}`);
    assert.equal(Date.parse(one.body.speed[method][0][1]), timeAt);
  }

  // Without timerel the buckets start at the first instance.
  const noRel = await ok(await temporal(c, id, 'attrs=speed&options=aggregatedValues&aggrMethods=sum&aggrPeriodDuration=PT1H'), 200);
  assertBuckets(noRel.body.speed.sum, aggregate(samples, samples[0][1], HOUR).sum, 'first-instance aligned sum');
});

test('aggregating a Relationship keeps its type and counts its objects', async () => {
  const id = 'urn:ngsi-ld:Vehicle:aggrel';
  const t0 = Date.parse('2024-03-12T00:00:00Z');
  const objects = ['urn:ngsi-ld:Person:a', 'urn:ngsi-ld:Person:b', 'urn:ngsi-ld:Person:a'];
  await ok(await c.post(`${LD}/entities`, { id, type: 'Vehicle', owner: rel(objects[0], t0) }), 201);
  for (let k = 1; k < objects.length; k++) {
    await ok(await c.patch(`${LD}/entities/${enc(id)}/attrs`, { owner: rel(objects[k], t0 + k * 10 * 60e3) }), 204);
  }
  const r = await ok(await temporal(c, id,
    `options=aggregatedValues&aggrMethods=totalCount,distinctCount&aggrPeriodDuration=PT1H&timerel=after&timeAt=${iso(t0)}`), 200);
  assertBuckets(r.body.owner.totalCount, [[objects.length, t0, t0 + HOUR]], 'totalCount');
  assertBuckets(r.body.owner.distinctCount, [[new Set(objects).size, t0, t0 + HOUR]], 'distinctCount');
  assert.equal(r.body.owner.type, 'Relationship', r.text);
});

test('a core attribute delete is recorded as a deletion instance seen only with timeproperty=deletedAt', async () => {
  const id = 'urn:ngsi-ld:Vehicle:del';
  const t0 = Date.parse('2024-04-01T00:00:00Z');
  await ok(await c.post(`${LD}/entities`, { id, type: 'Vehicle', speed: prop(12.5, t0), fuel: prop(33, t0) }), 201);
  await ok(await c.patch(`${LD}/entities/${enc(id)}/attrs`, { speed: prop(13.5, t0 + HOUR) }), 204);
  await ok(await c.del(`${LD}/entities/${enc(id)}/attrs/speed`), 204);

  const def = await ok(await temporal(c, id), 200);
  assert.deepEqual(pairs(def.body.speed), [[12.5, t0], [13.5, t0 + HOUR]], 'the default view has no deletion instance');
  const tvDef = await ok(await temporal(c, id, 'options=temporalValues&attrs=speed'), 200);
  assert.ok(!tvDef.body.speed.values.some(([v]) => v === 'urn:ngsi-ld:null'), tvDef.text);

  const del = await ok(await temporal(c, id, 'timeproperty=deletedAt'), 200);
  assert.equal(del.body.speed.length, 1, del.text);
  assert.equal(del.body.speed[0].type, 'Property');
  assert.equal(del.body.speed[0].value, 'urn:ngsi-ld:null');
  assert.ok(!Number.isNaN(Date.parse(del.body.speed[0].deletedAt)), del.text);
  assert.match(del.body.speed[0].instanceId, /^urn:ngsi-ld:Instance:/);
  assert.equal(del.body.fuel, undefined, 'fuel was never deleted');
  const early = await ok(await temporal(c, id, 'timeproperty=deletedAt&timerel=before&timeAt=2000-01-01T00:00:00Z'), 200);
  assert.equal(early.body.speed, undefined, 'the deletion is not before its own time');

  // Deleting the entity records a deletion for what is left, and keeps the history.
  await ok(await c.del(`${LD}/entities/${enc(id)}`), 204);
  assert.equal((await c.get(`${LD}/entities/${enc(id)}`)).status, 404);
  const after = await ok(await temporal(c, id, 'options=temporalValues'), 200);
  assert.deepEqual(tvPairs(after.body.speed.values), [[12.5, t0], [13.5, t0 + HOUR]]);
  assert.deepEqual(tvPairs(after.body.fuel.values), [[33, t0]]);
  const delAll = await ok(await temporal(c, id, 'timeproperty=deletedAt'), 200);
  assert.deepEqual(delAll.body.fuel.map((i) => i.value), ['urn:ngsi-ld:null']);
  assert.deepEqual(delAll.body.speed.map((i) => i.value), ['urn:ngsi-ld:null']);
});

test('a deletion instance does not bring its attribute or entity into aggregatedValues', async () => {
  const id = 'urn:ngsi-ld:Tricycle:delaggr';
  const t0 = Date.parse('2024-04-02T00:00:00Z');
  await ok(await c.post(`${LD}/entities`, { id, type: 'Tricycle', speed: prop(4, t0), seats: prop(2, t0) }), 201);
  await ok(await c.del(`${LD}/entities/${enc(id)}/attrs/seats`), 204);
  // The window starts after every observation; only the deletion instance of seats is later.
  const qs = `timerel=after&timeAt=${iso(t0 + HOUR)}`;
  const norm = await ok(await temporal(c, id, qs), 200);
  assert.equal(norm.body.seats, undefined, norm.text);
  const list = await ok(await c.get(`${LD}/temporal/entities?type=Tricycle&${qs}`), 200);
  assert.deepEqual(list.body, []);
  const agg = await ok(await temporal(c, id, `${qs}&options=aggregatedValues&aggrMethods=sum`), 200);
  assert.equal(agg.body.seats, undefined, `no instance of seats in the window: ${agg.text}`);
  const aggList = await ok(await c.get(`${LD}/temporal/entities?type=Tricycle&${qs}&options=aggregatedValues&aggrMethods=sum`), 200);
  assert.deepEqual(aggList.body, [], aggList.text);
});

test('temporal create and upsert: 201 then 204, same observedAt replaced, types unioned, history only', async () => {
  const id = 'urn:ngsi-ld:Sensor:tcreate';
  const t0 = Date.parse('2024-05-01T00:00:00Z');
  const DS = 'urn:ngsi-ld:Dataset:b';
  const r = await c.post(`${LD}/temporal/entities`, {
    id, type: 'Sensor',
    temp: [prop(20.5, t0), prop(21.5, t0 + HOUR), prop(5.5, t0, { datasetId: DS })],
    near: [rel('urn:ngsi-ld:Place:1', t0)],
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(decodeURIComponent(r.headers.get('location') ?? ''), `${LD}/temporal/entities/${id}`);
  assert.equal((await c.get(`${LD}/entities/${enc(id)}`)).status, 404, 'temporal entities exist only in history');

  const up = await c.post(`${LD}/temporal/entities`, {
    id, type: 'Device',
    temp: [prop(99.25, t0 + HOUR), prop(22.5, t0 + 2 * HOUR)],
  });
  assert.equal(up.status, 204, up.text);
  const got = await ok(await temporal(c, id), 200);
  assert.deepEqual([got.body.type].flat().sort(), ['Device', 'Sensor']);
  const def = got.body.temp.filter((i) => i.datasetId === undefined);
  assert.deepEqual(pairs(def), [[20.5, t0], [99.25, t0 + HOUR], [22.5, t0 + 2 * HOUR]]);
  assert.deepEqual(pairs(got.body.temp.filter((i) => i.datasetId === DS)), [[5.5, t0]]);
  assert.deepEqual(got.body.near.map((i) => i.object), ['urn:ngsi-ld:Place:1']);

  // temporalValues with two datasetIds: one object per dataset.
  const tv = await ok(await temporal(c, id, 'options=temporalValues&attrs=temp'), 200);
  assert.ok(Array.isArray(tv.body.temp), tv.text);
  assert.equal(tv.body.temp.length, 2);
  const byDs = Object.fromEntries(tv.body.temp.map((o) => [o.datasetId ?? '@default', o]));
  assert.deepEqual(tvPairs(byDs['@default'].values), [[20.5, t0], [99.25, t0 + HOUR], [22.5, t0 + 2 * HOUR]]);
  assert.deepEqual(tvPairs(byDs[DS].values), [[5.5, t0]]);
  for (const o of tv.body.temp) assert.equal(o.type, 'Property');

  // Append attributes.
  await ok(await c.post(`${LD}/temporal/entities/${enc(id)}/attrs`, {
    hum: [prop(40.5, t0 + 30 * 60e3), prop(41, t0 + 90 * 60e3)],
  }), 204);
  const hum = await ok(await temporal(c, id, 'attrs=hum'), 200);
  assert.deepEqual(pairs(hum.body.hum), [[40.5, t0 + 30 * 60e3], [41, t0 + 90 * 60e3]]);
  assert.equal(hum.body.temp, undefined);
  assertProblem(await c.post(`${LD}/temporal/entities/${enc('urn:ngsi-ld:Sensor:nobody')}/attrs`,
    { hum: [prop(1, t0)] }), 404, 'ResourceNotFound');
});

test('temporal instance modify and delete, attribute purge, entity delete', async () => {
  const id = 'urn:ngsi-ld:Sensor:tmod';
  const t0 = Date.parse('2024-05-02T00:00:00Z');
  const DS = 'urn:ngsi-ld:Dataset:x';
  await ok(await c.post(`${LD}/temporal/entities`, {
    id, type: 'Sensor',
    temp: [prop(1.5, t0), prop(2.5, t0 + HOUR), prop(3.5, t0 + 2 * HOUR), prop(7.5, t0, { datasetId: DS })],
    hum: [prop(50, t0)],
    wind: [prop(3, t0)],
  }), 201);
  const before = await ok(await temporal(c, id, 'attrs=temp'), 200);
  const dflt = before.body.temp.filter((i) => i.datasetId === undefined);
  const [i0, i1] = dflt.map((i) => i.instanceId);
  const base = `${LD}/temporal/entities/${enc(id)}/attrs/temp`;

  await ok(await c.patch(`${base}/${enc(i1)}`, { value: 2.75 }), 204);
  await ok(await c.del(`${base}/${enc(i0)}`), 204);
  const mid = await ok(await temporal(c, id, 'attrs=temp'), 200);
  const midDefault = mid.body.temp.filter((i) => i.datasetId === undefined);
  assert.deepEqual(pairs(midDefault), [[2.75, t0 + HOUR], [3.5, t0 + 2 * HOUR]]);
  assert.equal(midDefault[0].instanceId, i1, 'a modified instance keeps its instanceId');

  assertProblem(await c.del(`${base}/${enc(i0)}`), 404, 'ResourceNotFound');
  assertProblem(await c.patch(`${base}/${enc('urn:ngsi-ld:Instance:999999999')}`, { value: 1 }), 404, 'ResourceNotFound');
  assertProblem(await c.patch(`${base}/not-a-uri`, { value: 1 }), 400, 'BadRequestData');
  assertProblem(await c.patch(`${LD}/temporal/entities/${enc(id)}/attrs/${enc('invalid(Name')}/${enc(i1)}`, { value: 1 }), 400, 'BadRequestData');

  // Purge one dataset, then a whole attribute.
  await ok(await c.del(`${base}?datasetId=${enc(DS)}`), 204);
  const noDs = await ok(await temporal(c, id, 'attrs=temp'), 200);
  assert.ok(noDs.body.temp.every((i) => i.datasetId === undefined), noDs.text);
  assert.equal(noDs.body.temp.length, 2);
  await ok(await c.del(`${LD}/temporal/entities/${enc(id)}/attrs/hum`), 204);
  await ok(await c.del(`${base}?deleteAll=true`), 204);
  const left = await ok(await temporal(c, id), 200);
  assert.equal(left.body.hum, undefined);
  assert.equal(left.body.temp, undefined);
  assert.deepEqual(pairs(left.body.wind), [[3, t0]]);
  assertProblem(await c.del(`${LD}/temporal/entities/${enc(id)}/attrs/hum`), 404, 'ResourceNotFound');

  await ok(await c.del(`${LD}/temporal/entities/${enc(id)}`), 204);
  assertProblem(await temporal(c, id), 404, 'ResourceNotFound');
  assertProblem(await c.del(`${LD}/temporal/entities/${enc(id)}`), 404, 'ResourceNotFound');
});

test('GET /temporal/entities selects by type, attrs and q over the window, with count, limit and offset', async () => {
  const t0 = Date.parse('2024-06-01T00:00:00Z');
  const mk = (id, speeds, extra = {}) => c.post(`${LD}/temporal/entities`, {
    id, type: 'Tram', ...(speeds.length ? { speed: speeds.map(([v, t]) => prop(v, t)) } : {}), ...extra,
  });
  const A = 'urn:ngsi-ld:Tram:a';
  const B = 'urn:ngsi-ld:Tram:b';
  const C = 'urn:ngsi-ld:Tram:c';
  const speeds = {
    [A]: [[10, t0], [80, t0 + 2 * HOUR]],
    [B]: [[90, t0], [20, t0 + 3 * HOUR]],
  };
  await ok(await mk(A, speeds[A]), 201);
  await ok(await mk(B, speeds[B]), 201);
  await ok(await mk(C, [], { line: [prop('L1', t0 + 2 * HOUR)] }), 201);
  await ok(await c.post(`${LD}/temporal/entities`, { id: 'urn:ngsi-ld:Ferry:a', type: 'Ferry', speed: [prop(95, t0 + 2 * HOUR)] }), 201);

  const win = `timerel=after&timeAt=${iso(t0 + HOUR)}`;
  const inWin = (id) => speeds[id].filter(([, t]) => t >= t0 + HOUR);

  const all = await ok(await c.get(`${LD}/temporal/entities?type=Tram&attrs=speed&${win}&count=true`), 200);
  assert.deepEqual(all.body.map((e) => e.id).sort(), [A, B]);
  assert.equal(all.headers.get('ngsild-results-count'), '2');
  for (const e of all.body) {
    assert.equal(e.type, 'Tram');
    assert.deepEqual(pairs(e.speed), inWin(e.id));
  }
  // q looks at the instances inside the window only: B's 90 is before it.
  const q = await ok(await c.get(`${LD}/temporal/entities?type=Tram&q=${enc('speed>50')}&${win}`), 200);
  assert.deepEqual(q.body.map((e) => e.id), [A]);
  const qb = await ok(await c.get(`${LD}/temporal/entities?type=Tram&q=${enc('speed>50')}&timerel=before&timeAt=${iso(t0 + HOUR)}`), 200);
  assert.deepEqual(qb.body.map((e) => e.id), [B]);

  // attrs alone selects across types.
  const byAttr = await ok(await c.get(`${LD}/temporal/entities?attrs=speed&timerel=between&timeAt=${iso(t0)}&endTimeAt=${iso(t0 + 4 * HOUR)}`), 200);
  const ids = byAttr.body.map((e) => e.id);
  for (const id of [A, B, 'urn:ngsi-ld:Ferry:a']) assert.ok(ids.includes(id), `${id} in ${ids}`);
  assert.ok(!ids.includes(C), 'Tram:c has no speed');

  // Pages of one.
  const seen = [];
  for (let offset = 0; offset < 3; offset++) {
    const p = await ok(await c.get(`${LD}/temporal/entities?type=Tram&${win}&limit=1&offset=${offset}&count=true`), 200);
    assert.equal(p.headers.get('ngsild-results-count'), '3');
    assert.equal(p.body.length, 1);
    seen.push(p.body[0].id);
  }
  assert.deepEqual(seen.sort(), [A, B, C]);

  assertProblem(await c.get(`${LD}/temporal/entities?${win}`), 400, 'BadRequestData');
});

test('POST /temporal/entityOperations/query takes the temporal query in the body', async () => {
  const t0 = Date.parse('2024-06-10T00:00:00Z');
  const data = {
    'urn:ngsi-ld:Bus:q1': [0.5, 1.5, 2.5, 3.5, 4.5],
    'urn:ngsi-ld:Bus:q2': [10.25, 20.5, 30.75, 41, 51.25],
  };
  for (const [id, vs] of Object.entries(data)) {
    await ok(await c.post(`${LD}/temporal/entities`, {
      id, type: 'Bus', speed: vs.map((v, k) => prop(v, t0 + k * HOUR)), fuel: [prop(1, t0)],
    }), 201);
  }
  const series = (id) => data[id].map((v, k) => [v, t0 + k * HOUR]);
  const timeAt = t0 + HOUR;

  const r = await ok(await c.post(`${LD}/temporal/entityOperations/query`, {
    type: 'Query', entities: [{ type: 'Bus' }], attrs: ['speed'],
    temporalQ: { timerel: 'after', timeAt: iso(timeAt), lastN: 3 },
  }), 200);
  assert.deepEqual(r.body.map((e) => e.id).sort(), Object.keys(data).sort());
  for (const e of r.body) {
    assert.equal(e.fuel, undefined);
    assert.deepEqual(pairs(e.speed), series(e.id).filter(([, t]) => t >= timeAt).slice(-3));
  }

  // aggrMethods in temporalQ asks for aggregatedValues.
  const agg = await ok(await c.post(`${LD}/temporal/entityOperations/query`, {
    type: 'Query', entities: [{ type: 'Bus' }], attrs: ['speed'],
    temporalQ: { timerel: 'between', timeAt: iso(timeAt), endTimeAt: iso(t0 + 5 * HOUR), aggrMethods: ['avg', 'sumsq'], aggrPeriodDuration: 'PT2H' },
  }), 200);
  assert.equal(agg.body.length, 2);
  for (const e of agg.body) {
    const want = aggregate(series(e.id).filter(([, t]) => t >= timeAt && t < t0 + 5 * HOUR), timeAt, 2 * HOUR);
    assertBuckets(e.speed.avg, want.avg, `${e.id} avg`);
    assertBuckets(e.speed.sumsq, want.sumsq, `${e.id} sumsq`);
  }

  const q = await ok(await c.post(`${LD}/temporal/entityOperations/query`, {
    type: 'Query', entities: [{ type: 'Bus' }], q: 'speed>45',
    temporalQ: { timerel: 'after', timeAt: iso(timeAt) },
  }), 200);
  assert.deepEqual(q.body.map((e) => e.id), ['urn:ngsi-ld:Bus:q2']);

  assertProblem(await c.post(`${LD}/temporal/entityOperations/query`, {
    type: 'Query', entities: [{ type: 'Bus' }], temporalQ: { timerel: 'after' },
  }), 400, 'BadRequestData');
});

test('more instances than --max-temporal-instances: 206 with a Content-Range and every attribute cut to it', async () => {
  const CAP = 5;
  const paged = await start({ args: ['--max-temporal-instances', String(CAP)] });
  try {
    const pc = client(paged.url);
    const id = 'urn:ngsi-ld:Vehicle:page';
    const t0 = Date.parse('2024-07-01T00:00:00Z');
    const speeds = [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5];
    const fuel = [[100, t0], [90, t0 + 7 * HOUR]];
    await ok(await pc.post(`${LD}/entities`, { id, type: 'Vehicle', speed: prop(speeds[0], t0), fuel: prop(fuel[0][0], fuel[0][1]) }), 201);
    for (let k = 1; k < speeds.length; k++) {
      await ok(await pc.patch(`${LD}/entities/${enc(id)}/attrs`, { speed: prop(speeds[k], t0 + k * HOUR) }), 204);
    }
    await ok(await pc.patch(`${LD}/entities/${enc(id)}/attrs`, { fuel: prop(fuel[1][0], fuel[1][1]) }), 204);
    const speedAll = speeds.map((v, k) => [v, t0 + k * HOUR]);
    const range = (r) => {
      const m = /^date-time (\S+Z)-(\S+Z)\/(\S+)$/.exec(r.headers.get('content-range') ?? '');
      assert.ok(m, `Content-Range: ${r.headers.get('content-range')}`);
      return [Date.parse(m[1]), Date.parse(m[2]), m[3]];
    };

    // Oldest first: the first CAP instances, and fuel cut to the same range.
    const r = await ok(await temporal(pc, id, 'options=temporalValues'), 206);
    const first = speedAll.slice(0, CAP);
    assert.deepEqual(tvPairs(r.body.speed.values), first);
    const [s, e, size] = range(r);
    assert.deepEqual([s, e, size], [first[0][1], first[CAP - 1][1], '*']);
    const fuelGot = tvPairs(r.body.fuel?.values ?? []);
    assert.deepEqual(fuelGot, fuel.filter(([, t]) => t >= s && t <= e));

    // lastN above the cap: the newest CAP, range from the newest down, size lastN.
    const rl = await ok(await temporal(pc, id, 'lastN=6&attrs=speed'), 206);
    const newest = speedAll.slice(-CAP);
    assert.deepEqual(pairs(rl.body.speed), newest);
    assert.deepEqual(range(rl), [newest[CAP - 1][1], newest[0][1], '6']);
    const rlAll = await ok(await temporal(pc, id, 'lastN=6'), 206);
    for (const inst of rlAll.body.fuel ?? []) {
      assert.ok(Date.parse(inst.observedAt) >= newest[0][1], `fuel instance outside the range: ${rlAll.text}`);
    }

    // lastN within the cap is a complete answer.
    const small = await ok(await temporal(pc, id, 'lastN=3&attrs=speed'), 200);
    assert.equal(small.headers.get('content-range'), null);
    assert.deepEqual(pairs(small.body.speed), speedAll.slice(-3));

    // With after, the range starts at timeAt.
    const timeAt = t0 + 2 * HOUR;
    const ra = await ok(await temporal(pc, id, `attrs=speed&timerel=after&timeAt=${iso(timeAt)}`), 206);
    const fromAt = speedAll.filter(([, t]) => t >= timeAt).slice(0, CAP);
    assert.deepEqual(pairs(ra.body.speed), fromAt);
    const [sa, ea] = range(ra);
    assert.ok(sa <= fromAt[0][1] && sa >= timeAt, `range start ${iso(sa)}`);
    assert.equal(ea, fromAt[CAP - 1][1]);

    // Within the cap: 200 and no Content-Range.
    const fits = await ok(await temporal(pc, id, `attrs=speed&timerel=before&timeAt=${iso(t0 + CAP * HOUR)}`), 200);
    assert.equal(fits.headers.get('content-range'), null);
    assert.deepEqual(pairs(fits.body.speed), speedAll.slice(0, CAP));
  } finally {
    await paged.stop();
  }
});

test('the history of one tenant is invisible from another', async () => {
  const A = { 'NGSILD-Tenant': 'hue' };
  const B = { 'NGSILD-Tenant': 'danang' };
  const id = 'urn:ngsi-ld:Vehicle:tenant';
  const t0 = Date.parse('2024-08-01T00:00:00Z');
  await ok(await c.post(`${LD}/entities`, { id, type: 'TenantCar', speed: prop(1.5, t0) }, { headers: A }), 201);
  await ok(await c.patch(`${LD}/entities/${enc(id)}/attrs`, { speed: prop(2.5, t0 + HOUR) }, { headers: A }), 204);
  const tid = 'urn:ngsi-ld:Sensor:tenant';
  await ok(await c.post(`${LD}/temporal/entities`, { id: tid, type: 'TenantSensor', temp: [prop(30, t0)] }, { headers: A }), 201);

  const a = await ok(await temporal(c, id, '', A), 200);
  assert.deepEqual(pairs(a.body.speed), [[1.5, t0], [2.5, t0 + HOUR]]);
  assertProblem(await temporal(c, id, '', B), 404, 'ResourceNotFound');
  assertProblem(await temporal(c, tid, '', B), 404, 'ResourceNotFound');
  assertProblem(await temporal(c, id), 404, 'ResourceNotFound');
  const listB = await c.get(`${LD}/temporal/entities?type=TenantCar,TenantSensor`, { headers: B });
  assert.ok(listB.status === 200 || listB.status === 404, listB.text);
  if (listB.status === 200) assert.deepEqual(listB.body, []);

  // The same id in tenant B is a separate history.
  await ok(await c.post(`${LD}/temporal/entities`, { id: tid, type: 'TenantSensor', temp: [prop(-5, t0)] }, { headers: B }), 201);
  assert.deepEqual(pairs((await ok(await temporal(c, tid, '', B), 200)).body.temp), [[-5, t0]]);
  assert.deepEqual(pairs((await ok(await temporal(c, tid, '', A), 200)).body.temp), [[30, t0]]);
  const listA = await ok(await c.get(`${LD}/temporal/entities?type=TenantCar,TenantSensor`, { headers: A }), 200);
  assert.deepEqual(listA.body.map((e) => e.id).sort(), [id, tid].sort());
});

test('every history instance acknowledged by a core write survives kill -9', async () => {
  const dataDir = freshDataDir();
  try {
    const s1 = await start({ dataDir });
    const t0 = Date.parse('2024-09-01T00:00:00Z');
    const LOOPS = 4;
    const PATCHES = 15;
    const KILL_AFTER = 40;
    // id -> { acked: [[value, time]], inflight: [value, time] | null }
    const state = new Map();
    let acks = 0;
    let killed = null;
    const killOnce = () => { killed ??= s1.kill9(); return killed; };
    const send = (method, path, body) => fetch(s1.url + path, {
      method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    }).then(async (r) => { await r.arrayBuffer(); return r.status; });

    async function loop(n) {
      const id = `urn:ngsi-ld:Vehicle:dur-${n}`;
      const st = { acked: [], inflight: null, created: false };
      state.set(id, st);
      try {
        st.inflight = [n + 0.5, t0];
        if (await send('POST', `${LD}/entities`, { id, type: 'DurCar', speed: prop(n + 0.5, t0) }) !== 201) throw new Error('create');
        st.created = true;
        st.acked.push(st.inflight);
        if (++acks === KILL_AFTER) killOnce();
        for (let k = 1; k <= PATCHES; k++) {
          const inst = [n + k + 0.25, t0 + k * 60e3];
          st.inflight = inst;
          if (await send('PATCH', `${LD}/entities/${enc(id)}/attrs`, { speed: prop(inst[0], inst[1]) }) !== 204) throw new Error('patch');
          st.acked.push(inst);
          st.inflight = null;
          if (++acks === KILL_AFTER) killOnce();
        }
      } catch (err) {
        if (killed) return;  // the server died under this request: expected
        throw err;
      }
    }
    await Promise.all(Array.from({ length: LOOPS }, (_, n) => loop(n)));
    if (!killed) killOnce();
    assert.equal((await killed).signal, 'SIGKILL');
    assert.ok(acks >= KILL_AFTER);

    const s2 = await start({ dataDir });
    try {
      const c2 = client(s2.url);
      let checked = 0;
      for (const [id, st] of state) {
        if (!st.created) continue;
        const r = await ok(await temporal(c2, id, 'attrs=speed'), 200);
        const got = pairs(r.body.speed);
        const ackedSorted = [...st.acked].sort((x, y) => x[1] - y[1]);
        // Every acknowledged instance is there; at most the one in flight at the kill besides.
        const extra = got.filter(([v, t]) => !ackedSorted.some(([av, at]) => av === v && at === t));
        assert.ok(extra.length === 0 || (extra.length === 1 && st.inflight && extra[0][0] === st.inflight[0]),
          `${id}: unexpected ${JSON.stringify(extra)}`);
        assert.deepEqual(got.filter(([v, t]) => ackedSorted.some(([av, at]) => av === v && at === t)), ackedSorted, id);
        checked += st.acked.length;
      }
      assert.ok(checked >= KILL_AFTER, `checked ${checked} instances`);
    } finally {
      await s2.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('bad temporal requests are refused with ProblemDetails', async () => {
  const id = 'urn:ngsi-ld:Vehicle:errs';
  await ok(await c.post(`${LD}/entities`, { id, type: 'Vehicle', speed: prop(1, Date.parse('2024-10-01T00:00:00Z')) }), 201);
  const bad = [
    ['timerel=during&timeAt=2024-01-01T00:00:00Z', 'BadRequestData'],
    ['timerel=after', 'BadRequestData'],
    ['timerel=before', 'BadRequestData'],
    ['timerel=between&timeAt=2024-01-01T00:00:00Z', 'BadRequestData'],
    ['timerel=after&timeAt=yesterday', 'BadRequestData'],
    ['timeproperty=sometime', 'BadRequestData'],
    ['lastN=0', 'BadRequestData'],
    ['lastN=-2', 'BadRequestData'],
    ['lastN=many', 'BadRequestData'],
    ['options=aggregatedValues&aggrMethods=median', 'BadRequestData'],
    ['options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=1H', 'BadRequestData'],
    ['options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=PTXH', 'BadRequestData'],
    ['options=aggregatedValues', 'BadRequestData'],
    ['options=sometimes', 'InvalidRequest'],
  ];
  for (const [qs, type] of bad) {
    const r = await temporal(c, id, qs);
    assertProblem(r, 400, type);
    const list = await c.get(`${LD}/temporal/entities?type=Vehicle&${qs}`);
    assertProblem(list, 400, type);
  }
  assertProblem(await c.get(`${LD}/temporal/entities`), 400, 'BadRequestData');
  assertProblem(await c.get(`${LD}/temporal/entities/not-a-uri`), 400, 'BadRequestData');
  assertProblem(await temporal(c, 'urn:ngsi-ld:Vehicle:never'), 404, 'ResourceNotFound');
  assertProblem(await c.post(`${LD}/temporal/entities`, { id: 'no-uri', type: 'T', a: [prop(1, 0)] }), 400, 'BadRequestData');
  assertProblem(await c.post(`${LD}/temporal/entities`, null, { raw: '{"id":', headers: { 'Content-Type': 'application/json' } }), 400);
});

test('pick and omit project the temporal answer; paging links to the next page', async () => {
  const t0 = Date.parse('2024-07-01T00:00:00Z');
  const ids = ['urn:ngsi-ld:Ferry:p1', 'urn:ngsi-ld:Ferry:p2', 'urn:ngsi-ld:Ferry:p3'];
  for (const [n, id] of ids.entries()) {
    await ok(await c.post(`${LD}/temporal/entities`, {
      id, type: 'PickFerry', speed: [prop(n, t0)], heading: [prop(90 + n, t0)],
    }), 201);
  }
  const one = await ok(await temporal(c, ids[0], 'pick=speed'), 200);
  assert.deepEqual(Object.keys(one.body), ['speed']);
  const omitted = await ok(await temporal(c, ids[0], 'omit=type,speed'), 200);
  assert.deepEqual(Object.keys(omitted.body).sort(), ['heading', 'id']);
  const idsOnly = await ok(await c.get(`${LD}/temporal/entities?type=PickFerry&pick=id&limit=10`), 200);
  assert.deepEqual(idsOnly.body.map((e) => Object.keys(e)), ids.map(() => ['id']));
  assert.deepEqual(idsOnly.body.map((e) => e.id).sort(), ids);
  // A projection that leaves nothing is a 404; contradictions and linked projections 400.
  assertProblem(await temporal(c, ids[0], 'pick=unknownAttr'), 404, 'ResourceNotFound');
  assertProblem(await temporal(c, ids[0], 'pick=speed&omit=speed'), 400, 'BadRequestData');
  assertProblem(await temporal(c, ids[0], 'pick=speed&attrs=speed'), 400, 'BadRequestData');
  assertProblem(await temporal(c, ids[0], 'pick=owner{name}'), 400, 'BadRequestData');

  // Walk the pages through the Link header alone.
  const seen = [];
  let path = `${LD}/temporal/entities?type=PickFerry&limit=2`;
  for (let pages = 0; path && pages < 5; pages++) {
    const r = await ok(await c.get(path), 200);
    seen.push(...r.body.map((e) => e.id));
    const link = r.headers.get('link') ?? '';
    const m = /<([^>]+)>;\s*rel="next"/.exec(link);
    path = m ? m[1] : null;
  }
  assert.deepEqual(seen.sort(), ids);
});

test('changes made while history was off are caught up, as current state, when it is back on', async () => {
  const dataDir = freshDataDir();
  try {
    const id = 'urn:ngsi-ld:Gauge:off';
    const t0 = Date.parse('2024-08-01T00:00:00Z');
    const off = await start({ dataDir, args: ['--history=false'] });
    try {
      const co = client(off.url);
      await ok(await co.post(`${LD}/entities`, { id, type: 'OffGauge', level: prop(1.5, t0) }), 201);
      await ok(await co.patch(`${LD}/entities/${enc(id)}/attrs`, { level: prop(2.5, t0 + HOUR) }), 204);
      // Nothing recorded while off.
      assertProblem(await temporal(co, id), 404, 'ResourceNotFound');
    } finally {
      await off.stop();
    }
    const on = await start({ dataDir });
    try {
      const con = client(on.url);
      const r = await ok(await temporal(con, id), 200);
      assert.equal(r.body.type, 'OffGauge');
      assert.deepEqual(pairs(r.body.level), [[2.5, t0 + HOUR]]);  // the state at the restart
      // From here on every change is recorded again.
      await ok(await con.patch(`${LD}/entities/${enc(id)}/attrs`, { level: prop(3.5, t0 + 2 * HOUR) }), 204);
      const after = await ok(await temporal(con, id), 200);
      assert.deepEqual(pairs(after.body.level), [[2.5, t0 + HOUR], [3.5, t0 + 2 * HOUR]]);
    } finally {
      await on.stop();
    }
    // A second start does not record the current state again.
    const again = await start({ dataDir });
    try {
      const r = await ok(await temporal(client(again.url), id), 200);
      assert.equal(r.body.level.length, 2);
    } finally {
      await again.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
