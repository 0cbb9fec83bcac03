// A page object over the data-testid hooks: what a user's own headless tests would use too.
export class TrailscopePage {
  constructor(page) {
    this.page = page;
  }

  /** Waits until the worker is up and nothing is loading. */
  async ready() {
    await this.page.locator('[data-testid=load-state][data-state=idle]').waitFor({ state: 'attached' });
  }

  /** Picks files through "Choose files" and waits for the load to finish. */
  async upload(paths, { timeout = 60_000 } = {}) {
    await this.ready();
    const before = await this.loadCount();
    await this.page.setInputFiles('[data-testid=file-input]', paths);
    await this.waitForLoad(before, timeout);
  }

  /** Picks a folder through "Choose folder". */
  async uploadFolder(dir, { timeout = 60_000 } = {}) {
    await this.ready();
    const before = await this.loadCount();
    await this.page.setInputFiles('[data-testid=folder-input]', dir);
    await this.waitForLoad(before, timeout);
  }

  /** Drops files on the drop zone, as a user dragging them from a file manager would. */
  async drop(files, { timeout = 60_000 } = {}) {
    await this.ready();
    const before = await this.loadCount();
    const fs = await import('node:fs');
    const path = await import('node:path');
    const payload = files.map((f) => ({ name: path.basename(f), bytes: [...fs.readFileSync(f)] }));
    const transfer = await this.page.evaluateHandle((items) => {
      const dt = new DataTransfer();
      for (const { name, bytes } of items) dt.items.add(new File([new Uint8Array(bytes)], name));
      return dt;
    }, payload);
    await this.page.dispatchEvent('[data-testid=drop-zone]', 'drop', { dataTransfer: transfer });
    await this.waitForLoad(before, timeout);
  }

  /**
   * Gives key lists (`aws cloudtrail list-public-keys` output) as the trusted keys, through the
   * labelled input, and waits until the worker has read them.
   */
  async trustKeys(files, { region } = {}) {
    await this.ready();
    if (region !== undefined) await this.page.locator('[data-testid=trusted-keys-region]').fill(region);
    await this.page.setInputFiles('[data-testid=trusted-keys-file]', files);
    await this.page.waitForFunction(() => Number(document.querySelector('[data-testid=trusted-keys]')?.dataset.keys) > 0);
  }

  /** Loads finished so far. */
  async loadCount() {
    return Number(await this.page.locator('[data-testid=load-state]').getAttribute('data-loads'));
  }

  async waitForLoad(before, timeout) {
    await this.page.locator(`[data-testid=load-state][data-state=idle][data-loads="${before + 1}"]`)
      .waitFor({ state: 'attached', timeout });
  }

  async number(testid) {
    const text = await this.page.locator(`[data-testid=${testid}]`).first().textContent();
    return Number(text.replace(/[^0-9]/g, ''));
  }

  eventCount() { return this.number('event-count'); }
  duplicateCount() { return this.number('duplicate-count'); }

  async fileRows() {
    return this.page.locator('[data-testid=file-row]').evaluateAll((rows) =>
      rows.map((row) => ({
        path: row.querySelector('[data-testid=file-path]').textContent,
        kind: row.dataset.kind,
        status: row.dataset.status,
        events: Number(row.querySelector('[data-testid=file-events]').textContent.replace(/[^0-9]/g, '')),
        text: row.querySelector('[data-testid=file-status]').textContent,
      })),
    );
  }

  async eventRows() {
    return this.page.locator('[data-testid=result-row]').evaluateAll((rows) =>
      rows.map((row) => ({
        time: row.querySelector('[data-testid=cell-time]').textContent,
        name: row.querySelector('[data-testid=cell-event-name]').textContent,
        user: row.querySelector('[data-testid=cell-user]').textContent,
      })),
    );
  }

  /** Waits for a verification report and reads its summary. */
  async verifySummary({ timeout = 60_000 } = {}) {
    await this.page.locator('[data-testid=tab-integrity]').click({ timeout });
    const el = this.page.locator('[data-testid=verify-summary]');
    await el.waitFor({ timeout });
    return el.evaluate((e) => ({
      verdict: e.dataset.verdict,
      overall: e.dataset.overall,
      digestsValid: Number(e.dataset.digestsValid),
      digestsInvalid: Number(e.dataset.digestsInvalid),
      digestsUnverifiable: Number(e.dataset.digestsUnverifiable),
      logsValid: Number(e.dataset.logsValid),
      logsInvalid: Number(e.dataset.logsInvalid),
      logsUnverified: Number(e.dataset.logsUnverified),
      logsNotCovered: Number(e.dataset.logsNotCovered),
    }));
  }

  /** The per-file verdicts shown (all of them, not only the problems). */
  async verifyRows() {
    await this.page.locator('[data-testid=verify-show-all]').click();
    return this.page.locator('[data-testid=verify-row]').evaluateAll((rows) =>
      rows.map((row) => ({
        status: row.dataset.status,
        object: row.dataset.object,
        uri: row.children[1].textContent,
        verdict: row.children[2].textContent,
      })),
    );
  }

  /** Events the current filter selects. */
  async resultCount() {
    await this.page.locator('[data-testid=result-count]').waitFor();
    const text = await this.page.locator('[data-testid=result-count]').textContent();
    return Number(text.split(' of ')[0].replace(/[^0-9]/g, ''));
  }

  /** Waits until the filter selects `n` events. */
  async waitForCount(n, timeout = 30_000) {
    await this.page.waitForFunction((want) => {
      const t = document.querySelector('[data-testid=result-count]')?.textContent ?? '';
      return Number(t.split(' of ')[0].replace(/[^0-9]/g, '')) === want;
    }, n, { timeout });
  }

  /** Types a filter, applies it, and waits for the worker's answer. */
  async filter(expression) {
    const before = await this.page.locator('[data-testid=query-time]').getAttribute('data-generation');
    await this.page.locator('[data-testid=filter-input]').fill(expression);
    await this.page.locator('[data-testid=filter-input]').press('Enter');
    await this.page.waitForFunction((b) => {
      const el = document.querySelector('[data-testid=query-time]');
      return el && el.dataset.generation !== b;
    }, before);
  }
}

/**
 * Opens `url` in a new page of `context` (whose storage, the kept workspace included, its pages
 * share) and waits for the page to be ready; console errors and uncaught exceptions are
 * collected in `problems`.
 */
export async function openIn(context, url) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(`exception: ${e}`));
  await page.goto(url);
  const ts = new TrailscopePage(page);
  await ts.ready();
  return { page, ts, problems };
}
