// The set-up most browser-test files share: a fleet (`Fleet.start(options)`)
// and a headless Chromium, started before the file's tests and stopped after.
import { launchBrowser } from "./browser.mjs";
import { Fleet } from "./fleet.mjs";

/** Starts the fleet `options` names, then the browser. */
export async function startFleetAndBrowser(options) {
  const fleet = await Fleet.start(options);
  try {
    return { fleet, browser: await launchBrowser() };
  } catch (error) {
    await fleet.stop();
    throw error;
  }
}

/** Closes the browser, then stops the fleet; either may be missing when the start failed. */
export async function stopFleetAndBrowser({ fleet, browser }) {
  await browser?.close();
  await fleet?.stop();
}
