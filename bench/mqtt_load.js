// bench/mqtt_load.js: MQTT load for bench/mqtt_ingest.sh (uses the e2e tests' npm mqtt).
//   node mqtt_load.js baseline --broker mqtt://127.0.0.1:P --count N
//     publishes N QoS 1 messages to bench/t and counts them at a subscriber on the same
//     broker: messages/s from the first publish to the last one received.
//   node mqtt_load.js ingest --broker mqtt://127.0.0.1:P --url http://127.0.0.1:D --count N --devices K
//     publishes N QoS 1 device messages to dothi/bench/dev-{i % K}/attrs and waits until
//     dothi's /metrics counts N more written: messages/s until the last one is durable.
// Prints one JSON line.
const path = require('path');
const mqtt = require(path.join(__dirname, '../tests/e2e/node_modules/mqtt'));

const args = Object.fromEntries(process.argv.slice(3).reduce((a, v, i, all) => (i % 2 === 0 ? a.concat([[v.replace(/^--/, ''), all[i + 1]]]) : a), []));
const mode = process.argv[2];
const count = Number(args.count ?? 20000);
const body = (i) => JSON.stringify({ key: 'bench-key', level: 1 + (i % 100) / 100, ts: '2025-11-23T10:00:00Z' });

async function publishAll(client, topicOf) {
  const window = 200;  // messages in flight
  let next = 0;
  const inflight = new Set();
  while (next < count || inflight.size > 0) {
    while (next < count && inflight.size < window) {
      const i = next++;
      const p = client.publishAsync(topicOf(i), body(i), { qos: 1 }).then(() => inflight.delete(p));
      inflight.add(p);
    }
    await Promise.race(inflight);
  }
}

async function written(url) {
  const text = await (await fetch(url + '/metrics')).text();
  const m = /dothi_mqtt_messages_total\{outcome="written"\} (\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

(async () => {
  const pub = await mqtt.connectAsync(args.broker, { clientId: 'bench-pub-' + process.pid });
  if (mode === 'baseline') {
    const sub = await mqtt.connectAsync(args.broker, { clientId: 'bench-sub-' + process.pid });
    await sub.subscribeAsync('bench/t', { qos: 1 });
    let got = 0;
    const done = new Promise((resolve) => sub.on('message', () => { if (++got === count) resolve(); }));
    const t0 = process.hrtime.bigint();
    await publishAll(pub, () => 'bench/t');
    await done;
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(JSON.stringify({ mode, count, seconds: secs, per_second: count / secs }));
    await sub.endAsync();
  } else {
    const devices = Number(args.devices ?? 1000);
    const w0 = await written(args.url);
    const t0 = process.hrtime.bigint();
    await publishAll(pub, (i) => `dothi/bench/dev-${i % devices}/attrs`);
    const deadline = Date.now() + 300000;
    while ((await written(args.url)) < w0 + count) {
      if (Date.now() > deadline) throw new Error('dothi did not write every message');
      await new Promise((ok) => setTimeout(ok, 20));  // polling a counter, not synchronising a test
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(JSON.stringify({ mode, count, devices, seconds: secs, per_second: count / secs }));
  }
  await pub.endAsync();
})().catch((e) => { console.error(e); process.exit(1); });
