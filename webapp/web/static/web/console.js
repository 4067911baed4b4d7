// Console: drag-and-drop uploads, delete confirmation, live ingestion status.
"use strict";

(function () {
  // ---- confirmation before destructive actions ------------------------
  document.addEventListener("submit", function (event) {
    const message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // ---- upload drop zone ---------------------------------------------------
  const zone = document.getElementById("dropzone");
  const input = document.getElementById("upload-files");
  const fileList = document.getElementById("file-list");

  function showChosenFiles() {
    fileList.replaceChildren();
    Array.from(input.files).forEach(function (file) {
      const item = document.createElement("li");
      item.textContent = file.name;
      fileList.append(item);
    });
  }

  if (zone && input) {
    input.addEventListener("change", showChosenFiles);
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.remove("dragging");
      });
    });
    zone.addEventListener("drop", function (event) {
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      input.files = event.dataTransfer.files;
      showChosenFiles();
    });
  }

  // ---- live status of documents being ingested --------------------------
  const table = document.getElementById("documents-table");
  if (!table) return;
  const labels = JSON.parse(document.getElementById("status-labels").textContent || "{}");
  const FINAL = ["indexed", "failed"];
  const POLL_MS = 1000;
  const BACKOFF_MS = 5000;

  function pendingIds() {
    return Array.from(table.querySelectorAll("tr[data-document-id]"))
      .filter(function (row) { return !FINAL.includes(row.dataset.status); })
      .map(function (row) { return row.dataset.documentId; });
  }

  function updateRow(doc) {
    const row = table.querySelector('tr[data-document-id="' + doc.id + '"]');
    if (!row) return;
    row.dataset.status = doc.status;
    const badge = row.querySelector(".doc-status");
    badge.className = "badge doc-status status-" + doc.status;
    badge.textContent = labels[doc.status] || doc.status;
    const progress = row.querySelector(".doc-progress");
    progress.value = doc.progress_percent;
    progress.textContent = doc.progress_percent + "%";
    row.querySelector(".doc-progress-text").textContent = doc.progress_percent + "%";
    row.querySelector(".doc-chunks").textContent = String(doc.chunk_count);
    const error = row.querySelector(".doc-error");
    error.textContent = doc.error || "";
    error.hidden = !doc.error;
  }

  async function poll() {
    const ids = pendingIds();
    if (!ids.length) return;
    let delay = POLL_MS;
    try {
      const response = await fetch(table.dataset.statusUrl + "?ids=" + ids.join(","), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(String(response.status));
      const body = await response.json();
      const seen = new Set();
      body.documents.forEach(function (doc) { seen.add(String(doc.id)); updateRow(doc); });
      // A row the server no longer returns was deleted elsewhere.
      ids.forEach(function (id) {
        if (!seen.has(id)) {
          const row = table.querySelector('tr[data-document-id="' + id + '"]');
          if (row) row.remove();
        }
      });
    } catch (error) {
      delay = BACKOFF_MS;
    }
    window.setTimeout(poll, delay);
  }

  if (pendingIds().length) window.setTimeout(poll, POLL_MS);
})();
