import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const require = createRequire(import.meta.url);
const axeSource: string = (require('axe-core') as { source: string }).source;

export const chromiumPath = '/usr/bin/chromium';

/** Debian's Chromium, headless; a missing binary fails with the command that installs it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `The end-to-end tests need Chromium at ${chromiumPath}. Install it as root: apt-get install -y chromium`,
    );
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** The widths the admin pages are checked at: a desktop, and a phone where nothing may need sideways scrolling. */
export const desktopViewport = { width: 1280, height: 800 } as const;
export const phoneViewport = { width: 390, height: 844 } as const;

/**
 * One browser session of one test: a fresh context (its own cookies; CSP bypassed only so axe-core can be
 * injected), and `visited(step)` after every page the test reaches: a screenshot into
 * `test-artifacts/e2e/<test>/<nn>-<step>.png` and an axe-core run that throws on serious or critical violations.
 */
export class Session {
  private counter = 0;
  readonly artifactDir: string;

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    testName: string,
  ) {
    this.artifactDir = path.join(root, 'test-artifacts', 'e2e', testName);
    rmSync(this.artifactDir, { recursive: true, force: true });
    mkdirSync(this.artifactDir, { recursive: true });
  }

  /** Opens a session (at `viewport`, when given), runs `run` with it, and closes it whatever happens. */
  static async run(
    browser: Browser,
    baseUrl: string,
    testName: string,
    run: (session: Session) => Promise<void>,
    viewport?: { readonly width: number; readonly height: number },
  ): Promise<void> {
    const session = await Session.open(browser, baseUrl, testName);
    try {
      if (viewport) await session.page.setViewportSize(viewport);
      await run(session);
    } finally {
      await session.close();
    }
  }

  static async open(browser: Browser, baseUrl: string, testName: string): Promise<Session> {
    const context = await browser.newContext({ baseURL: baseUrl, bypassCSP: true, locale: 'en-US' });
    // axe-core in every page the context opens (CSP bypassed for this only).
    await context.addInitScript({ content: axeSource });
    const page = await context.newPage();
    return new Session(context, page, testName);
  }

  /**
   * `visited` at the desktop width, then at the phone width (back to desktop after); returns the page's width at
   * the phone width, for tests that check nothing needs sideways scrolling.
   */
  async visitedAtBothWidths(step: string): Promise<number> {
    await this.visited(`${step}-desktop`);
    await this.page.setViewportSize(phoneViewport);
    await this.visited(`${step}-phone`);
    const phoneWidth = (await this.page.evaluate('document.documentElement.scrollWidth')) as number;
    await this.page.setViewportSize(desktopViewport);
    return phoneWidth;
  }

  async visited(step: string): Promise<void> {
    this.counter += 1;
    const file = `${String(this.counter).padStart(2, '0')}-${step}.png`;
    await this.page.screenshot({ path: path.join(this.artifactDir, file), fullPage: true });
    // A string, not a function: the transpiled test code never reaches the page.
    const violations = (await this.page.evaluate(
      `axe.run(document, { resultTypes: ['violations'] }).then((results) => results.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`,
    )) as AxeViolation[];
    const serious = violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
    if (serious.length > 0) {
      const lines = serious.map(
        (violation) =>
          `  ${violation.id} (${violation.impact}): ${violation.help} — ${violation.nodes
            .map((node) => JSON.stringify(node.target))
            .join(', ')}`,
      );
      throw new Error(
        `axe-core found serious accessibility problems on ${this.page.url()} (${step}):\n${lines.join('\n')}`,
      );
    }
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
