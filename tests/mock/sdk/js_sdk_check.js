// Drives the official JS SDK (npm `syncano` 1.0.30, unchanged) against a running mock:
// channel create (with the SDK's extra instanceName), publish, poll (the SDK sends last_id=
// and room= empty), history.
//
//     NODE_PATH=<dir>/node_modules node js_sdk_check.js http://127.0.0.1:PORT ACCOUNT_KEY
'use strict';
const assert = require('assert');
const Syncano = require('syncano');

const [url, key] = process.argv.slice(2);
const {Instance, Channel} = Syncano({accountKey: key, baseUrl: url});

async function main() {
  const name = 'js-sdk-' + Math.random().toString(16).slice(2, 10);
  const instance = await Instance.please().create({name});
  const channel = await Channel.please().create({name: 'can_publish', type: 'default',
    other_permissions: 'publish', custom_publish: true, instanceName: instance.name});
  assert.strictEqual(channel.custom_publish, true);
  const where = {instanceName: instance.name, name: channel.name};
  const published = await Channel.please().publish(where, {content: 'hello'});
  assert.deepStrictEqual(published.payload, {content: 'hello'});
  const poll = Channel.please().poll(where, {}, false);
  const live = await new Promise((resolve, reject) => {
    poll.on('message', (message) => { poll.stop(); resolve(message); });
    poll.on('error', reject);
    poll.start();
    setTimeout(() => Channel.please().publish(where, {content: 'live'}).then(() => null, reject), 500);
  });
  assert.deepStrictEqual(live.payload, {content: 'live'});
  assert.strictEqual(live.action, 'custom');
  const history = await Channel.please().history(where);
  assert.deepStrictEqual((history.objects || history).map((m) => m.payload), [{content: 'live'}, {content: 'hello'}]);
  console.log('js sdk ok');
}

main().then(() => process.exit(0), (error) => {
  console.error('js sdk failed:', error && (error.stack || error));
  process.exit(1);
});
