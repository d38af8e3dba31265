// The hosted service's official JavaScript SDK (novita-sdk on npm), unchanged apart from
// its base URL and key, driving a stillmotion server the way an integration would:
// submit, poll until the task ends (cancelling it first when asked), and report what the
// SDK handed back, one JSON object on stdout. Run by tests/api/test_hosted_js_sdk.py.
//
//   node hosted_sdk.js BASE_URL KEY IMAGE_DATA_URI_FILE (succeed|cancel|bad-key)
const fs = require("fs");
const { NovitaSDK, NovitaError } = require("novita-sdk");

async function main() {
  const [baseUrl, key, imageFile, mode] = process.argv.slice(2);
  const sdk = new NovitaSDK(mode === "bad-key" ? "sm_" + "x".repeat(43) : key);
  sdk.setBaseUrl(baseUrl);  // with a trailing slash, as people paste it: //v3/... follows
  const body = { images: [fs.readFileSync(imageFile, "utf8")], prompt: "slow push in",
                 duration: 4, resolution: "360p", seed: 11 };
  const report = { statuses: [] };
  try {
    const submitted = await sdk.httpFetch({ url: "/v3/async/vidu-2.0-img2video",
                                            method: "POST", data: body });
    report.task_id = submitted.task_id;
    if (mode === "cancel") {
      const cancelled = await sdk.httpFetch({ url: "/v3/async/task-cancel", method: "POST",
                                              data: { task_id: submitted.task_id } });
      report.cancel_status = cancelled.task.status;
    }
    const deadline = Date.now() + 180000;
    for (;;) {
      const result = await sdk.progress({ task_id: submitted.task_id });
      report.statuses.push(result.task.status);
      if (["TASK_STATUS_SUCCEED", "TASK_STATUS_FAILED"].includes(result.task.status)) {
        report.final = result;
        break;
      }
      if (Date.now() > deadline) throw new Error("the task did not end in 180 s");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (error) {
    if (!(error instanceof NovitaError)) throw error;
    report.error = { code: error.code, reason: error.reason, message: error.message };
  }
  process.stdout.write(JSON.stringify(report));
}

main().catch((error) => { console.error(error); process.exit(1); });
