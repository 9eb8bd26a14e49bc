import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

/** Chromium to drive: CHIRP_TEST_CHROMIUM (`.ci/run` installs Debian's and sets it). */
export function chromiumPath(): string | undefined {
  const path = process.env['CHIRP_TEST_CHROMIUM'];
  return path === undefined || path === '' ? undefined : path;
}

export const BROWSER_SKIP_REASON =
  'skipped: set CHIRP_TEST_CHROMIUM to a Chromium binary (e.g. /usr/bin/chromium) to run browser tests';

/**
 * Headless Chromium as the machine allows it: no sandbox (CI runs as root), and no background
 * networking, which this machine's closed network would answer with refused connections.
 */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Where screenshots go: test-output/screenshots, kept with the test output (git-ignored). */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = join(process.cwd(), 'test-output', 'screenshots');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly string[] }[];
}

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/**
 * Runs axe-core in the page and returns its violations, one line each. The script is evaluated
 * through the DevTools protocol, which the page's own CSP (no inline script) does not govern, so
 * the page is checked exactly as users get it.
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(await readFile(axePath, 'utf8'));
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run: () => Promise<{ violations: unknown[] }> } }
    ).axe;
    return (await axe.run()).violations;
  });
  return (violations as AxeViolation[]).map(
    (v) =>
      `${v.id} (${v.impact ?? 'n/a'}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}
