// Launches Debian's Firefox ESR (never a downloaded browser) through puppeteer-core over
// WebDriver BiDi — Playwright's Firefox launcher needs Playwright's own patched build —
// headless, with a throw-away profile that puppeteer creates and removes. `relaxedSimd:
// false` sets SpiderMonkey's `javascript.options.wasm_relaxed_simd` pref to false, so that
// WebAssembly.validate refuses relaxed-SIMD opcodes as an engine without them does (Safari,
// Node 20): the one browser run where `auto` must pick simd128. (Chromium 156's V8 has no
// switch for it: `--js-flags=--no-experimental-wasm-relaxed-simd` and
// `--disable-features=WebAssemblyRelaxedSimd` are accepted and change nothing.)

import { existsSync } from 'node:fs';
import puppeteer, { type Browser as PuppeteerBrowser, type Page } from 'puppeteer-core';

export const FIREFOX_PATH = process.env.COSINEKIT_FIREFOX ?? '/usr/bin/firefox-esr';

/** Prefs for a closed network: nothing the browser would fetch on its own. */
const QUIET_PREFS: Readonly<Record<string, unknown>> = {
  'app.update.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'extensions.update.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'toolkit.telemetry.enabled': false,
};

export interface FirefoxOptions {
  /** false: relaxed-SIMD opcodes are invalid in this browser (SpiderMonkey pref). */
  relaxedSimd: boolean;
}

export interface EngineBrowser {
  /** e.g. `firefox/153.8.0`. */
  readonly version: string;
  /** A new page whose console errors and uncaught exceptions are collected in `problems`. */
  newPage(): Promise<{ page: Page; problems: string[] }>;
  close(): Promise<void>;
}

export async function launchFirefox({ relaxedSimd }: FirefoxOptions): Promise<EngineBrowser> {
  if (!existsSync(FIREFOX_PATH)) {
    throw new Error(`${FIREFOX_PATH} not found: install Debian's firefox-esr (apt-get install -y firefox-esr) or set COSINEKIT_FIREFOX`);
  }
  const browser: PuppeteerBrowser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    args: ['--no-remote'],
    extraPrefsFirefox: { ...QUIET_PREFS, 'javascript.options.wasm_relaxed_simd': relaxedSimd },
  });
  const version = await browser.version();
  return {
    version,
    async newPage() {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`pageerror: ${error instanceof Error ? error.message : String(error)}`));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console.error: ${message.text()}`);
      });
      return { page, problems };
    },
    close: () => browser.close(),
  };
}
