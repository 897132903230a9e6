// Swagger UI: open one operation, press "Try it out" then "Execute" without touching a field;
// the status, body and URL the UI shows.
(async (method, path) => {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const until = async (find) => {
    for (let i = 0; i < 300; i++) {
      const found = find();
      if (found) return found;
      await sleep(100);
    }
    throw new Error("Swagger UI did not show it in 30 s: " + find);
  };
  const block = [...document.querySelectorAll(".opblock.opblock-" + method)].find(
    (b) => b.querySelector(".opblock-summary-path").getAttribute("data-path") === path,
  );
  if (!block.classList.contains("is-open")) {
    (block.querySelector(".opblock-summary-control") || block.querySelector(".opblock-summary")).click();
  }
  (await until(() => block.querySelector(".try-out__btn"))).click();
  (await until(() => block.querySelector(".execute"))).click();
  const status = await until(() => block.querySelector(".live-responses-table tbody .response-col_status"));
  const body = await until(() => block.querySelector(".live-responses-table .response-col_description pre"));
  const url = block.querySelector(".request-url pre");
  return { status: status.textContent.trim(), body: body.textContent, url: url ? url.textContent : "" };
})
