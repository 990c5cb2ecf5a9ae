// Drives the generated HTML report in headless Chromium (Debian's, through playwright-core) the
// way a lab engineer would: open it (from disk, file://, no server), read the counts, expand the
// tree down to a test, open it, look for a step, an attachment and a measurement, or open the
// Categories tab and a category. Prints JSON and saves a full-page screenshot.
//   node check_report.mjs SPEC
// SPEC is JSON: {url, screenshot, texts: [exact text...], tree: [node text...],
//                absent: [text...], absentBeside: tree node text, testTab: tab name,
//                step, attachment, measurement, category: {name, inside, absent: [text...]}}
// Every key but url and screenshot is optional. "absent" texts are looked for once the tree node
// "absentBeside" shows (before it is opened): on the same level, they would show with it.
// "testTab" reads the counter of a tab of the test the tree ends on (History: the earlier runs).
// Output:
//   {found: {key: bool}, absent: {text: bool}, counter: {tab: text}, failedFiles: [url...],
//    external: [url...], embeddedData: bool, earlyFetches: [url...]}
// "embeddedData": the page holds the report's data itself (Allure's single-file mode). "earlyFetches":
// the URLs the page fetched while that data store did not exist yet: Allure's reportDataUrl
// (web-commons) then asks the disk, and on a slow machine the report opens with widgets missing.
// hilkit's report makes the store before the app runs (hilkit.report.html.data_before_app).
// Requests that leave the disk (http, https) are refused and listed as "external": the report
// must show everything without a network (Allure's page asks for Google's analytics script;
// nothing of the report's own may be among them).
import { chromium } from "playwright-core";

const spec = JSON.parse(process.argv[2]);
const browser = await chromium.launch({
  timeout: 120000,
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
const found = {};
const absent = {};
const counter = {};
const failedFiles = [];
const external = [];
// Timeouts are hang guards, not speed limits: a visible node returns at once.
const visible = async (page, text, { exact = false, timeout = 60000 } = {}) => {
  const node = page.getByText(text, { exact }).first();
  try { await node.waitFor({ state: "visible", timeout }); return node; } catch { return null; }
};
// Called only once the view that would show them has rendered what it does show.
const noneOf = async (page, texts, into) => {
  for (const text of texts ?? []) into[text] = (await page.getByText(text, { exact: false }).count()) === 0;
};
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.addInitScript(() => {   // which fetches happen before the embedded data is there
    globalThis.__earlyFetches = [];
    const fetchNow = globalThis.fetch;
    globalThis.fetch = (input, init) => {
      if (!globalThis.allureReportData) globalThis.__earlyFetches.push(String(input instanceof Request ? input.url : input));
      return fetchNow(input, init);
    };
  });
  await page.route(/^https?:/, (route) => { external.push(route.request().url()); return route.abort(); });
  page.on("requestfailed", (request) => {
    if (request.url().startsWith("file:")) failedFiles.push(request.url());
  });
  await page.goto(spec.url, { waitUntil: "load", timeout: 120000 });
  for (const text of spec.texts ?? []) found[`text:${text}`] = (await visible(page, text, { exact: true })) !== null;
  for (const text of spec.tree ?? []) {
    const node = await visible(page, text);
    found[`tree:${text}`] = node !== null;
    if (!node) break;
    if (text === spec.absentBeside) await noneOf(page, spec.absent, absent);
    await node.click();
  }
  if (spec.testTab) {   // the tab's text is its name and its counter: "History1"
    const tab = await visible(page, new RegExp(`^${spec.testTab}\\d*$`));
    found[`tab:${spec.testTab}`] = tab !== null;
    if (tab) {   // rendered with the tab, or not at all (no history: no counter)
      const count = tab.locator("[data-testid=counter]");
      counter[spec.testTab] = (await count.count()) > 0 ? await count.first().textContent() : null;
    }
  }
  if (spec.step) {
    const stepNode = await visible(page, spec.step);
    found.step = stepNode !== null;
    if (stepNode) await stepNode.click();
  }
  if (spec.attachment) found.attachment = (await visible(page, spec.attachment, { timeout: 30000 })) !== null;
  if (spec.measurement) found.measurement = (await visible(page, spec.measurement, { timeout: 30000 })) !== null;
  if (spec.category) {
    const tab = await visible(page, /^Categories \d+$/);
    found.categoriesTab = tab !== null;
    if (tab) {
      await tab.click();
      const category = await visible(page, spec.category.name, { exact: true });
      found[`category:${spec.category.name}`] = category !== null;
      if (category) {
        await noneOf(page, spec.category.absent, absent);   // the tab's other categories are rendered with it
        await category.click();
        if (spec.category.inside) {
          found[`inside:${spec.category.inside}`] = (await visible(page, spec.category.inside, { timeout: 30000 })) !== null;
        }
      }
    }
  }
  await page.screenshot({ path: spec.screenshot, fullPage: true });
  const embeddedData = await page.evaluate(() => Boolean(globalThis.allureReportData));
  const earlyFetches = await page.evaluate(() => globalThis.__earlyFetches ?? []);
  console.log(JSON.stringify({ found, absent, counter, failedFiles, external, embeddedData, earlyFetches }));
} finally {
  await browser.close();
}
