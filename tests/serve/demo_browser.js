// Drives the demo page in a real browser (Debian's chromium, headless, through playwright-core):
// uploads an image, waits for the overlay, checks it, and takes a screenshot.
//
// usage: NODE_PATH=<dir with playwright-core> node demo_browser.js URL IMAGE SCREENSHOT.png
// Prints one JSON line: {state, status, legendRows, overlayPixels, width, height}; exits 1 when the
// page did not reach "done" or drew no overlay.
const { chromium } = require("playwright-core");

async function main() {
  const [url, image, screenshot] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(url);
    await page.setInputFiles("#file", image);
    await page.waitForFunction(() => ["done", "error"].includes(document.body.dataset.state), null, { timeout: 60000 });
    const result = await page.evaluate(() => {
      const overlay = document.getElementById("overlay");
      const data = overlay.getContext("2d").getImageData(0, 0, overlay.width, overlay.height).data;
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
      return {
        state: document.body.dataset.state,
        status: document.getElementById("status").textContent,
        legendRows: document.querySelectorAll("#legend tbody tr").length,
        overlayPixels: painted,
        width: overlay.width,
        height: overlay.height,
        opacity: getComputedStyle(overlay).opacity,
      };
    });
    result.pageErrors = errors;
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(JSON.stringify(result));
    process.exitCode = result.state === "done" && result.overlayPixels > 0 && result.legendRows > 0 ? 0 : 1;
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
