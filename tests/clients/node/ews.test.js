'use strict';
// Conformance tests: the unmodified ews-javascript-api client against the Impersync EWS simulator.
// Run with `node --test` (Node >= 20). Requires IMPERSYNC_SIM_URL, e.g. http://127.0.0.1:8080.

const { test, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const ews = require('ews-javascript-api');

const SIM_URL = (process.env.IMPERSYNC_SIM_URL || '').trim().replace(/\/+$/, '');
if (!SIM_URL) {
  // Fail the whole file loudly instead of silently passing.
  throw new Error(
    'IMPERSYNC_SIM_URL is not set. Start the Impersync simulator and export ' +
      'IMPERSYNC_SIM_URL=http://127.0.0.1:<port> before running the client conformance tests.',
  );
}

const SERVICE_ACCOUNT = 'MasterImpersonation@contoso.test';
const SERVICE_PASSWORD = 'Demo-Impersonation-1';
// ews-javascript-api never settles its promise when it gets a non-XML HTTP 500 (the parser throws
// inside its rejection handler), so every test carries a timeout.
const TIMEOUT = { timeout: 30_000 };

async function control(method, path, payload) {
  const res = await fetch(SIM_URL + path, {
    method,
    headers: payload === undefined ? {} : { 'Content-Type': 'application/json' },
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  const text = await res.text();
  assert.ok(res.ok, `control API ${method} ${path} failed: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text.trim() ? JSON.parse(text) : null;
}

function serviceFor(smtp, password = SERVICE_PASSWORD) {
  const service = new ews.ExchangeService(ews.ExchangeVersion.Exchange2016);
  service.Credentials = new ews.WebCredentials(SERVICE_ACCOUNT, password);
  service.Url = new ews.Uri(`${SIM_URL}/EWS/Exchange.asmx`);
  service.ImpersonatedUserId = new ews.ImpersonatedUserId(ews.ConnectingIdType.SmtpAddress, smtp);
  return service;
}

// ews-javascript-api rejects with a SoapFaultDetails (ResponseCode) for SOAP faults and with a
// ServiceResponseException (ErrorCode) for error ResponseMessages. Return the EWS error name.
function ewsErrorName(err) {
  if (err instanceof ews.SoapFaultDetails) return ews.ServiceError[err.ResponseCode];
  if (err instanceof ews.ServiceResponseException) return ews.ServiceError[err.ErrorCode];
  return undefined;
}

async function expectEwsError(promise, expected) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err !== undefined, `expected ${expected}, but the call succeeded`);
  const name = ewsErrorName(err);
  assert.equal(
    name,
    expected,
    `expected ${expected}, got ${err && err.constructor && err.constructor.name}: ` +
      `${name} ${JSON.stringify({ message: err && err.message, status: err && (err.HttpStatusCode || err.status) })}`,
  );
}

beforeEach(async () => {
  await control('POST', '/_sim/reset');
});

test('Folder.Bind(Inbox) with SmtpAddress impersonation', TIMEOUT, async () => {
  const inbox = await ews.Folder.Bind(serviceFor('alice@contoso.test'), ews.WellKnownFolderName.Inbox);
  assert.equal(inbox.TotalCount, 50);
  assert.ok(inbox.Id && inbox.Id.UniqueId, 'Inbox must have a FolderId');
});

test('Folder.Bind(Inbox) for bob and carol', TIMEOUT, async () => {
  for (const smtp of ['bob@contoso.test', 'carol@contoso.test']) {
    const inbox = await ews.Folder.Bind(serviceFor(smtp), ews.WellKnownFolderName.Inbox);
    assert.equal(inbox.TotalCount, 50, smtp);
  }
});

test('FindItems pages through the Inbox 10 at a time', TIMEOUT, async () => {
  const service = serviceFor('alice@contoso.test');
  const ids = [];
  const offsets = [];
  let offset = 0;
  for (let page = 0; page < 10; page++) {
    offsets.push(offset);
    const res = await service.FindItems(ews.WellKnownFolderName.Inbox, new ews.ItemView(10, offset));
    assert.equal(res.TotalCount, 50);
    assert.ok(res.Items.length <= 10, `page at offset ${offset} returned ${res.Items.length} items`);
    for (const item of res.Items) ids.push(item.Id.UniqueId);
    if (!res.MoreAvailable) break;
    assert.equal(res.NextPageOffset, offset + res.Items.length, 'IndexedPagingOffset must advance by the page size');
    offset = res.NextPageOffset;
  }
  assert.deepEqual(offsets, [0, 10, 20, 30, 40]);
  assert.equal(ids.length, 50);
  assert.equal(new Set(ids).size, 50, 'paging returned duplicate item ids');
});

for (const who of ['erin', 'dave']) {
  test(`impersonating ${who} is denied`, TIMEOUT, async () => {
    await expectEwsError(
      ews.Folder.Bind(serviceFor(`${who}@contoso.test`), ews.WellKnownFolderName.Inbox),
      'ErrorImpersonateUserDenied',
    );
  });
}

test('impersonating frank (no mailbox) fails with ErrorNonExistentMailbox', TIMEOUT, async () => {
  await expectEwsError(
    ews.Folder.Bind(serviceFor('frank@contoso.test'), ews.WellKnownFolderName.Inbox),
    'ErrorNonExistentMailbox',
  );
});

test('FindItems for a denied user is rejected too', TIMEOUT, async () => {
  await expectEwsError(
    serviceFor('erin@contoso.test').FindItems(ews.WellKnownFolderName.Inbox, new ews.ItemView(10, 0)),
    'ErrorImpersonateUserDenied',
  );
});
