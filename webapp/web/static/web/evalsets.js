// Console evaluation page: live progress of queued and running evaluation runs.
"use strict";

(function () {
  const table = document.getElementById("evalruns-table");
  if (!table) return;
  const labels = JSON.parse(document.getElementById("run-labels").textContent || "{}");
  const FINAL = ["done", "failed"];
  const POLL_MS = 1000;
  const BACKOFF_MS = 5000;

  function pendingIds() {
    return Array.from(table.querySelectorAll("tr[data-run-id]"))
      .filter(function (row) { return !FINAL.includes(row.dataset.status); })
      .map(function (row) { return row.dataset.runId; });
  }

  function updateRow(run) {
    const row = table.querySelector('tr[data-run-id="' + run.id + '"]');
    if (!row) return;
    Enclave.showStatus(row, "run-status", run.status, labels);
    const bar = row.querySelector(".run-progress");
    bar.max = Math.max(1, run.questions_total);
    bar.value = run.questions_done;
    row.querySelector(".run-progress-text").textContent =
      run.questions_done + "/" + run.questions_total;
    Enclave.showError(row.querySelector(".run-error"), run.error);
  }

  async function poll() {
    const ids = pendingIds();
    if (!ids.length) {
      // Every run finished: reload once to show its metrics, plot and per-question results.
      if (table.dataset.wasPending) window.location.reload();
      return;
    }
    table.dataset.wasPending = "true";
    let delay = POLL_MS;
    try {
      const body = await Enclave.getJson(table.dataset.statusUrl + "?ids=" + ids.join(","));
      body.runs.forEach(updateRow);
    } catch (error) {
      delay = BACKOFF_MS;
    }
    window.setTimeout(poll, delay);
  }

  if (pendingIds().length) window.setTimeout(poll, POLL_MS);
})();
