// Console: drag-and-drop uploads, delete confirmation, live ingestion and index-build progress.
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

  // ---- live progress of a new search index being built ---------------------
  const indexCard = document.getElementById("search-index");
  const INDEX_POLL_MS = 2000;
  const INDEX_BACKOFF_MS = 10000;

  function setText(root, selector, value) {
    const element = root.querySelector(selector);
    if (element) element.textContent = String(value);
  }

  function showBuild(build) {
    const box = document.getElementById("index-build");
    if (!box) return;
    setText(box, ".build-model", build.model);
    setText(box, ".build-dimension", build.dimension);
    setText(box, ".build-done", build.documents_done);
    setText(box, ".build-total", build.documents_total);
    setText(box, ".build-heartbeat", build.heartbeat_age_s === null ? "—" : build.heartbeat_age_s);
    const bar = box.querySelector(".build-progress");
    bar.value = build.progress_percent;
    bar.textContent = build.progress_percent + "%";
    box.querySelector(".build-building").hidden = build.stalled;
    box.querySelector(".build-stalled").hidden = !build.stalled;
    box.querySelector(".build-stalled-hint").hidden = !build.stalled;
    setText(box, ".build-skipped-count", build.documents_skipped);
    box.querySelector(".build-skipped").hidden = !build.documents_skipped;
  }

  async function pollIndex() {
    let delay = INDEX_POLL_MS;
    try {
      const body = await Enclave.getJson(indexCard.dataset.statusUrl);
      if (body.active) {
        setText(indexCard, ".index-model", body.active.model);
        setText(indexCard, ".index-dimension", body.active.dimension);
        setText(indexCard, ".index-documents", body.active.documents);
        setText(indexCard, ".index-skipped-count", body.active.documents_skipped);
        const skipped = indexCard.querySelector(".index-skipped");
        if (skipped) skipped.hidden = !body.active.documents_skipped;
      }
      if (!body.building) {
        // Switched (or gone): the facts above now name the new index.
        const box = document.getElementById("index-build");
        if (box) box.hidden = true;
        return;
      }
      showBuild(body.building);
    } catch (error) {
      delay = INDEX_BACKOFF_MS;
    }
    window.setTimeout(pollIndex, delay);
  }

  if (indexCard && indexCard.dataset.building) window.setTimeout(pollIndex, INDEX_POLL_MS);

  // ---- live status of documents being ingested, and the collection's counters --
  // The counters ("In progress 3 · Indexed 8") count the whole collection, also
  // documents added elsewhere (API, terminal, folder sync) or filtered out of the
  // table: they are polled for as long as the page is open, fast while work runs.
  const filter = document.getElementById("status-filter");
  const table = document.getElementById("documents-table");
  if (!filter || !filter.dataset.statusUrl) return;
  const statusUrl = filter.dataset.statusUrl;
  const collectionId = filter.dataset.collectionId;
  const labels = JSON.parse(document.getElementById("status-labels").textContent || "{}");
  const FINAL = ["indexed", "failed"];
  const POLL_MS = 1000;
  const IDLE_MS = 5000;
  const BACKOFF_MS = 5000;

  function counter(name) {
    return filter.querySelector('[data-count="' + name + '"]');
  }

  function pendingIds() {
    if (!table) return [];
    return Array.from(table.querySelectorAll("tr[data-document-id]"))
      .filter(function (row) { return !FINAL.includes(row.dataset.status); })
      .map(function (row) { return row.dataset.documentId; });
  }

  function updateCounts(counts) {
    ["all", "in_progress", "indexed", "failed"].forEach(function (name) {
      const element = counter(name);
      if (element && counts[name] !== undefined) element.textContent = String(counts[name]);
    });
  }

  function updateRow(doc) {
    const row = table.querySelector('tr[data-document-id="' + doc.id + '"]');
    if (!row) return;
    Enclave.showStatus(row, "doc-status", doc.status, labels);
    const failed = doc.status === "failed";
    const progress = row.querySelector(".doc-progress");
    progress.value = doc.progress_percent;
    progress.textContent = doc.progress_percent + "%";
    progress.hidden = failed;  // a failed document's work did not complete: no bar
    const progressText = row.querySelector(".doc-progress-text");
    progressText.textContent = doc.progress_percent + "%";
    progressText.hidden = failed;
    row.querySelector(".doc-retry-form").hidden = !failed;  // retry is for failures only
    row.querySelector(".doc-chunks").textContent = String(doc.chunk_count);
    Enclave.showError(row.querySelector(".doc-error"), doc.error);
  }

  function dropDeleted(ids, documents) {
    // A row the server no longer returns was deleted elsewhere.
    const seen = new Set(documents.map(function (doc) { return String(doc.id); }));
    ids.forEach(function (id) {
      if (seen.has(id)) return;
      const row = table.querySelector('tr[data-document-id="' + id + '"]');
      if (row) row.remove();
    });
  }

  async function poll() {
    const ids = pendingIds();
    let delay = POLL_MS;
    try {
      const query = "?ids=" + ids.join(",") + "&collection=" + collectionId;
      const body = await Enclave.getJson(statusUrl + query);
      updateCounts(body.counts);
      body.documents.forEach(updateRow);
      dropDeleted(ids, body.documents);
      if (!pendingIds().length && !body.counts.in_progress) delay = IDLE_MS;
    } catch (error) {
      delay = BACKOFF_MS;
    }
    window.setTimeout(poll, delay);
  }

  window.setTimeout(poll, POLL_MS);
})();
