// Drives the official JS SDK (npm `syncano` 1.0.30, unchanged) against a running mock the way
// its docs use it: channel create with custom_publish, publish, poll (woken by a publish, ended
// by the server's poll timeout), history, a separate_rooms channel with room publish and poll.
//
//     NODE_PATH=<cache>/node_modules node js_sdk_check.js http://127.0.0.1:PORT ACCOUNT_KEY POLL_TIMEOUT
//
// Prints one line per step and `js sdk ok` at the end; exits 1 with what the SDK did not get.
'use strict';
const assert = require('assert');
const Syncano = require('syncano');

const [url, key, pollTimeout] = process.argv.slice(2);
const {Instance, Channel} = Syncano({accountKey: key, baseUrl: url});
const WAIT = 20000;

function step(text) {
  console.log(text);
}

// The first 'message' (or 'error') of a started poll, then stop it; `action` runs once the
// poll request is on its way.
function firstEvent(poll, action = () => null) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('poll got nothing in time')), WAIT);
    const finish = (event) => (value) => {
      clearTimeout(timer);
      poll.stop();
      resolve({event, value});
    };
    poll.on('message', finish('message'));
    poll.on('error', finish('error'));
    poll.on('request', () => setTimeout(() => Promise.resolve(action()).catch(reject), 500));
    poll.start();
  });
}

async function main() {
  const name = 'js-sdk-' + Math.random().toString(16).slice(2, 10);
  const instance = await Instance.please().create({name});
  step(`created instance ${instance.name}`);
  // custom_publish must be the boolean: the SDK's own validation refuses "true".
  const channel = await Channel.please().create({name: 'can_publish', type: 'default',
    other_permissions: 'publish', custom_publish: true, instanceName: instance.name});
  assert.strictEqual(channel.custom_publish, true);
  step(`created channel ${channel.name} (type ${channel.type}, custom_publish true)`);

  const where = {instanceName: instance.name, name: channel.name};
  const published = await Channel.please().publish(where, {content: 'hello'});
  assert.deepStrictEqual(published.payload, {content: 'hello'});
  step(`published message ${published.id}`);

  const woken = await firstEvent(Channel.please().poll(where, {}, false),
    () => Channel.please().publish(where, {content: 'live'}));
  assert.strictEqual(woken.event, 'message', String(woken.value));
  assert.deepStrictEqual(woken.value.payload, {content: 'live'});
  assert.strictEqual(woken.value.action, 'custom');
  step(`waiting poll woken by a publish: message ${woken.value.id}`);

  const started = Date.now();
  const idle = await firstEvent(Channel.please().poll(where, {}, false));
  const waited = (Date.now() - started) / 1000;
  assert.ok(waited >= pollTimeout * 0.9, `the idle poll ended after ${waited}s`);
  // The server's 204 has no body: this SDK emits it as a 'message' of "".
  assert.ok(!(idle.value && idle.value.id),
    `the idle poll got a message: ${JSON.stringify(idle.value)}`);
  step(`idle poll ended by the server after ${waited.toFixed(1)}s, no message ` +
    `(SDK: '${idle.event}' ${JSON.stringify(idle.value)})`);

  const history = await Channel.please().history(where);
  assert.deepStrictEqual((history.objects || history).map((m) => m.payload),
    [{content: 'live'}, {content: 'hello'}]);
  step(`history listed ${(history.objects || history).length} messages, newest first`);

  const rooms = await Channel.please().create({name: 'rooms', type: 'separate_rooms',
    other_permissions: 'publish', custom_publish: true, instanceName: instance.name});
  assert.strictEqual(rooms.type, 'separate_rooms');
  const inRooms = {instanceName: instance.name, name: rooms.name};
  const kitchen = await firstEvent(Channel.please().poll(inRooms, {room: 'kitchen'}, false),
    async () => {
      await Channel.please().publish(inRooms, {in: 'hall'}, 'hall');
      await Channel.please().publish(inRooms, {in: 'kitchen'}, 'kitchen');
    });
  assert.strictEqual(kitchen.event, 'message', String(kitchen.value));
  assert.deepStrictEqual(kitchen.value.payload, {in: 'kitchen'});
  step("separate_rooms channel: poll in room kitchen got only kitchen's message");
  console.log('js sdk ok');
}

main().then(() => process.exit(0), (error) => {
  console.error('js sdk failed:', error && (error.stack || error));
  process.exit(1);
});
