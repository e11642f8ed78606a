// The admin panel in headless Chromium against the Exchange simulator: log in, create
// the organisation, import the demo users, use the magic wand, enter the service account,
// run the access check, save, activate the users who passed, toggle one in place, and see a
// refused htmx request's error shown in the page. A screenshot after each
// step goes to $ARTIFACTS. Every step checks texts in the DOM and fails loudly.
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const base = process.env.PANEL_URL;
const artifacts = process.env.ARTIFACTS ?? '.';
assert.ok(base, 'PANEL_URL is not set (run scripts/e2e.sh)');

const USERS_CSV = [
  'email,display_name',
  'alice@contoso.test,Alice Archer',
  'bob@contoso.test,Bob Baker',
  'carol@contoso.test,Carol Chen',
  'dave@contoso.test,Dave Dunn',
  'erin@contoso.test,Erin Evans',
  'frank@contoso.test,Frank Fischer',
  '',
].join('\n');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
page.setDefaultTimeout(20_000);
const errors = [];
page.on('pageerror', (e) => errors.push(`step ${step}: ${e}`));
page.on('console', (m) => { if (m.type() === 'error') errors.push(`step ${step}: ${m.text()} at ${m.location().url}:${m.location().lineNumber}`); });

let step = 0;
async function done(name) {
  step += 1;
  const file = `${artifacts}/${String(step).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path: file, fullPage: true, caret: 'initial' });
  console.log(`ok ${step} - ${name} (${file})`);
}

async function text(selector) {
  return (await page.locator(selector).first().innerText()).trim();
}

function row(email) {
  return page.locator(`tr:has(td:text-is("${email}"))`);
}

try {
  // 1. Log in.
  await page.goto(`${base}/`);
  assert.match(page.url(), /\/login$/);
  await page.fill('#username', process.env.PANEL_USER ?? 'admin');
  await page.fill('#password', process.env.PANEL_PASSWORD);
  await Promise.all([page.waitForURL(/\/orgs$/), page.click('button:text("Log in")')]);
  assert.equal(await text('h1'), 'Organisations');
  assert.match(await text('.who'), /admin \(operator\)/);
  await done('logged-in');

  // 2. Create the organisation.
  await page.fill('#name', 'Contoso');
  await page.fill('#domains', 'contoso.test');
  await Promise.all([page.waitForURL(/\/orgs\/\d+\/users$/), page.click('button:text("Create organisation")')]);
  assert.match(await text('.flash.success'), /Organisation Contoso created/);
  const orgUrl = page.url().replace(/\/users$/, '');
  await done('organisation-created');

  // 3. Import the demo users through the upload form.
  await page.setInputFiles('#file', { name: 'users.csv', mimeType: 'text/csv', buffer: Buffer.from(USERS_CSV) });
  await Promise.all([page.waitForURL(/\/users\/import$/), page.click('button:text("Import")')]);
  assert.match(await text('#import .flash'), /Imported 6 user\(s\); 0 row\(s\) refused/);
  for (const u of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) {
    assert.equal(await row(`${u}@contoso.test`).count(), 1, `${u} is listed`);
  }
  await done('users-imported');

  // 4. The service account's logon and password, then the magic wand (Autodiscover as that account).
  await page.click('nav.tabs a:text("Email Configuration")');
  await page.waitForURL(/\/email-config$/);
  await page.selectOption('#access_type', 'ExchangeImpersonation');
  await page.fill('#logon', 'CONTOSO\\MasterImpersonation');
  await page.fill('#password', 'Demo-Impersonation-1');
  await page.selectOption('#auth', 'NTLM');
  await done('service-account-entered');
  await page.click('#magic-wand');
  await page.waitForSelector('#ews-url-field [role=status]');
  const note = await text('#ews-url-field [role=status]');
  assert.match(note, /Proposed from Autodiscover/, note);
  const ewsUrl = await page.inputValue('#ews_url');
  assert.match(ewsUrl, /^https:\/\/[a-z.]*contoso\.test:\d+\/EWS\/Exchange\.asmx$/i, ewsUrl);
  await done('magic-wand');

  // 5. The check: alice passes, erin is outside the impersonation scope, frank has no mailbox.
  // The password field still holds what was typed; the check keeps the form as a draft.
  await page.fill('#password', 'Demo-Impersonation-1');
  await Promise.all([
    page.waitForURL(/\/check-runs\/\d+$/),
    page.click('button:text("Check Users Exchange Impersonated Access")'),
  ]);
  await page.waitForFunction(() => document.querySelector('#progress .status')?.textContent === 'finished', null, { timeout: 60_000 });
  await page.waitForSelector('table.results tbody tr');
  assert.match(await text('#progress .progress-text'), /6 of 6 checked/);
  assert.match(await row('alice@contoso.test').innerText(), /\bOk\b/);
  const erin = await row('erin@contoso.test').innerText();
  assert.match(erin, /ImpersonationDenied/);
  assert.match(erin, /ApplicationImpersonation/, 'erin shows the remedy');
  assert.match(await row('frank@contoso.test').innerText(), /NoMailbox/);
  await done('check-run');

  // 6. Save the configuration (the password field empty: the stored one is kept).
  await page.click('nav.tabs a:text("Email Configuration")');
  await page.waitForURL(/\/email-config$/);
  assert.equal(await page.inputValue('#ews_url'), ewsUrl);
  assert.match(await page.locator('label[for=password]').innerText(), /set/);
  await Promise.all([page.waitForURL(/\/email-config$/), page.click('#save')]);
  assert.match(await text('.flash.success'), /Email configuration saved/);
  assert.equal(await page.locator('.flash.warning:text("No check run has passed")').count(), 0);
  const html = await page.content();
  assert.ok(!html.includes('Demo-Impersonation-1'), 'the password is not in the page');
  await done('saved');

  // 7. Activate everyone who passed, and see them active.
  await page.click('nav.tabs a:text("Users")');
  await page.waitForURL(/\/users$/);
  await Promise.all([page.waitForURL(/\/users$/), page.click('button:text("Activate all that passed the last check")')]);
  assert.match(await text('.flash.success'), /Activated [1-9]\d* user\(s\) whose last check passed/);
  assert.match(await row('alice@contoso.test').innerText(), /\bactive\b/);
  assert.match(await row('erin@contoso.test').innerText(), /\binactive\b/);
  assert.match(await row('frank@contoso.test').innerText(), /\binactive\b/);
  await done('activated');

  // 8. The htmx toggle: deactivate alice in place.
  await row('alice@contoso.test').locator('button:text("Deactivate")').click();
  await page.waitForFunction(() => [...document.querySelectorAll('tr')].some((r) => r.innerText.includes('alice@contoso.test') && r.innerText.includes('inactive')));
  assert.ok(page.url().startsWith(orgUrl), 'the toggle stayed on the page');
  await done('toggled');

  // 9. An htmx request that fails shows its error in the page: a stale CSRF token.
  await page.evaluate(() => {
    document.body.setAttribute('hx-headers', '{"x-csrf-token":"stale"}');
    for (const input of document.querySelectorAll('input[name=_csrf]')) input.value = 'stale';
  });
  await row('bob@contoso.test').locator('button:text("Deactivate")').click();
  assert.match(await text('#htmx-errors [role=alert]'), /out of date/);
  assert.match(await row('bob@contoso.test').innerText(), /\bactive\b/);
  // The refused request's own log line is expected; nothing else may fail.
  for (let i = errors.length - 1; i >= 0; i -= 1) {
    if (errors[i].startsWith(`step ${step}:`) && /403|Forbidden|htmx:responseError/.test(errors[i])) errors.splice(i, 1);
  }
  await done('htmx-error-shown');

  assert.deepEqual(errors, [], 'no script errors or CSP violations in the browser');
  console.log(`all ${step} steps passed`);
} catch (e) {
  await page.screenshot({ path: `${artifacts}/failure.png`, fullPage: true }).catch(() => {});
  console.error(`not ok - after step ${step}: ${e.stack ?? e}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
