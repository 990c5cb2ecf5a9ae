// Drives the generated HTML report in headless Chromium (Debian's, through playwright-core) the
// way a lab engineer would: open it, expand the tree down to a test, open it, look for a step, an
// attachment and a measurement. Prints JSON {found: {...}} and saves a full-page screenshot.
//   node check_report.mjs URL SCREENSHOT STEP ATTACHMENT MEASUREMENT TREE-NODE... TEST
import { chromium } from "playwright-core";

const [url, screenshot, step, attachment, measurement, ...path] = process.argv.slice(2);
const browser = await chromium.launch({
  timeout: 120000,
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
const found = {};
// Timeouts are hang guards, not speed limits: a visible node returns at once.
const visible = async (page, text, timeout = 60000) => {
  const node = page.getByText(text, { exact: false }).first();
  try { await node.waitFor({ state: "visible", timeout }); return node; } catch { return null; }
};
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(url, { waitUntil: "networkidle", timeout: 120000 });
  for (const [i, text] of path.entries()) {
    const node = await visible(page, text);
    found[`tree:${text}`] = node !== null;
    if (!node) break;
    await node.click();
  }
  const stepNode = await visible(page, step);
  found.step = stepNode !== null;
  if (stepNode) await stepNode.click();
  found.attachment = (await visible(page, attachment, 30000)) !== null;
  found.measurement = (await visible(page, measurement, 30000)) !== null;
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ found }));
} finally {
  await browser.close();
}
