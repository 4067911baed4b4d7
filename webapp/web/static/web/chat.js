// Chat page: ask over fetch, read the answer as a server-sent event stream (stoppable),
// render answers as safe Markdown (markdown.js) with citation chips that open the
// passage panel; copy, thumbs up/down with a comment; rename and delete conversations.
// Model output is only ever inserted as text (textContent / text nodes), never as HTML.
"use strict";

(function () {
  const form = document.getElementById("ask-form");
  if (!form) return;

  const messages = document.getElementById("messages");
  const question = document.getElementById("question");
  const askButton = document.getElementById("ask-button");
  const stopButton = document.getElementById("stop-button");
  const status = document.getElementById("chat-status");
  const panel = document.getElementById("passage-panel");
  const scopeSummary = document.getElementById("scope-summary");
  const csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  const text = {};
  const i18n = document.getElementById("i18n-chat");
  if (i18n) {
    i18n.content.querySelectorAll("[data-key]").forEach(function (node) {
      text[node.dataset.key] = node.textContent;
    });
  }

  // message id (or a live answer element) -> {number: source}
  const storedSources = JSON.parse(document.getElementById("stored-sources").textContent || "{}");
  const storedAnswers = JSON.parse(document.getElementById("stored-answers").textContent || "{}");
  const storedFeedback = JSON.parse(document.getElementById("stored-feedback").textContent || "{}");
  const liveSources = new WeakMap();
  const rawAnswers = new WeakMap(); // article -> the answer's text as the model wrote it
  let controller = null;
  let lastTrigger = null;
  let busy = false;

  function sourcesFor(article) {
    if (liveSources.has(article)) return liveSources.get(article);
    const list = storedSources[article.dataset.messageId] || [];
    const byNumber = {};
    list.forEach(function (source) { byNumber[source.number] = source; });
    return byNumber;
  }

  function downloadUrl(source) {
    const url = form.dataset.downloadUrl.replace("/0/", "/" + encodeURIComponent(source.document_id) + "/");
    return source.page ? url + "#page=" + encodeURIComponent(source.page) : url;
  }

  // ---- passage panel -------------------------------------------------
  function openPassage(source, trigger) {
    lastTrigger = trigger;
    panel.querySelector(".passage-number").textContent = String(source.number);
    panel.querySelector(".passage-title").textContent = source.title || "";
    panel.querySelector(".passage-page").textContent = source.page ? (text.page || "Page") + " " + source.page : "";
    panel.querySelector(".passage-heading").textContent = source.heading || "";
    fillPassageText(panel.querySelector(".passage-text"), source.text || "", source.marks || []);
    panel.querySelector(".passage-open").href = downloadUrl(source);
    panel.hidden = false;
    document.body.classList.add("passage-open");
    panel.querySelector(".passage-close").focus();
  }

  // The passage as text nodes, the sentences backing the answer (server-chosen ranges) in <mark>.
  function fillPassageText(box, value, marks) {
    box.textContent = "";
    let position = 0;
    marks.forEach(function (range) {
      const start = Math.max(range[0], position);
      const end = Math.min(range[1], value.length);
      if (end <= start) return;
      box.append(value.slice(position, start));
      const mark = document.createElement("mark");
      mark.textContent = value.slice(start, end);
      box.append(mark);
      position = end;
    });
    box.append(value.slice(position));
    const first = box.querySelector("mark");
    if (first && first.scrollIntoView) first.scrollIntoView({ block: "nearest" });
  }

  function closePassage() {
    if (panel.hidden) return;
    panel.hidden = true;
    document.body.classList.remove("passage-open");
    if (lastTrigger && document.body.contains(lastTrigger)) lastTrigger.focus();
  }

  panel.querySelector(".passage-close").addEventListener("click", closePassage);
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    closePassage();
    closeSidebar();
  });

  messages.addEventListener("click", function (event) {
    const button = event.target.closest("button.citation, button.source-ref");
    if (!button) return;
    const article = button.closest(".message.assistant");
    const source = sourcesFor(article)[button.dataset.number];
    if (source) openPassage(source, button);
  });

  // ---- rendering -----------------------------------------------------
  function element(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  function citationChip(number, source) {
    const chip = element("button", "citation", String(number));
    chip.type = "button";
    chip.dataset.number = String(number);
    chip.setAttribute("aria-label", (text.source || "Source") + " " + number + ": " + (source.title || ""));
    return chip;
  }

  // Fill `container` with the answer as Markdown, turning markers of cited sources into chips.
  function renderAnswer(container, answer, sources) {
    container.classList.add("markdown");
    window.EnclaveMarkdown.render(container, answer, function (n) {
      return sources[n] ? citationChip(n, sources[n]) : null;
    });
  }

  function renderSourceList(article, sources) {
    const numbers = Object.keys(sources).map(Number).sort(function (a, b) { return a - b; });
    if (!numbers.length) return;
    const box = element("div", "answer-sources");
    box.append(element("h3", "answer-sources-title", text.sources || "Sources"));
    const list = element("ul");
    numbers.forEach(function (n) {
      const source = sources[n];
      const button = element("button", "source-ref");
      button.type = "button";
      button.dataset.number = String(n);
      button.append(element("span", "source-number", String(n)));
      button.append(" " + (source.title || "") + (source.page ? ", " + (text.p || "p.") + " " + source.page : ""));
      const item = element("li");
      item.append(button);
      list.append(item);
    });
    box.append(list);
    article.append(box);
  }

  function addUserMessage(value) {
    const article = element("article", "message user");
    article.append(element("h2", "visually-hidden", text.you || "You"));
    article.append(element("div", "message-text", value));
    messages.append(article);
  }

  function addAnswer() {
    const article = element("article", "message assistant streaming");
    article.setAttribute("aria-busy", "true");
    article.append(element("h2", "visually-hidden", "Enclave"));
    const answer = element("div", "answer-text");
    article.append(answer);
    messages.append(article);
    liveSources.set(article, {});
    return { article: article, answer: answer };
  }

  function showError(article, message) {
    const line = element("p", "answer-error", message);
    line.setAttribute("role", "alert");
    article.append(line);
  }

  function scrollToEnd() {
    messages.scrollTop = messages.scrollHeight;
  }

  // ---- conversation bookkeeping -------------------------------------
  function rememberConversation(id, title) {
    const isNew = !form.dataset.conversationId;
    form.dataset.conversationId = String(id);
    const url = form.dataset.conversationUrl.replace("/0/", "/" + id + "/");
    if (window.location.pathname !== url) window.history.pushState({ conversationId: id }, "", url);
    if (!isNew) return;
    const list = document.getElementById("conversation-list");
    list.querySelectorAll(".empty").forEach(function (node) { node.remove(); });
    list.querySelectorAll("[aria-current]").forEach(function (node) { node.removeAttribute("aria-current"); });
    const link = element("a", "", title.slice(0, 80));
    link.href = url;
    link.dataset.conversationId = String(id);
    link.setAttribute("aria-current", "page");
    const item = element("li");
    item.append(link);
    list.prepend(item);
    document.getElementById("chat-heading").textContent = title.slice(0, 80);
  }

  function selectedCollections() {
    return Array.from(form.querySelectorAll("input[name=collection_ids]:checked"))
      .map(function (box) { return parseInt(box.value, 10); });
  }

  function updateScopeSummary() {
    if (!scopeSummary) return;
    const count = selectedCollections().length;
    scopeSummary.textContent = count ? count + " " + (text.selected || "collection(s)") : scopeSummary.dataset.all;
  }
  const modelSelect = document.getElementById("model-select");

  function selectedModel() {
    return modelSelect ? modelSelect.value : "";
  }

  // The choice is also the user's default from now on (kept on the server).
  async function saveModel() {
    try {
      const response = await fetch(form.dataset.modelUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken, Accept: "application/json" },
        credentials: "same-origin",
        body: JSON.stringify({ model: selectedModel() }),
      });
      const data = await response.json();
      status.textContent = response.ok ? "" : (data.message || response.statusText);
    } catch (error) {
      status.textContent = text.failed || "";
    }
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "collection_ids") updateScopeSummary();
    if (event.target === modelSelect) saveModel();
  });

  // ---- server-sent events over fetch --------------------------------
  function parseEvent(block) {
    let name = "message";
    const data = [];
    block.split(/\r?\n/).forEach(function (line) {
      if (!line || line.startsWith(":")) return;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
    });
    return data.length ? { name: name, data: JSON.parse(data.join("\n")) } : null;
  }

  async function readEvents(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let match;
      while ((match = /\r?\n\r?\n/.exec(buffer))) {
        const event = parseEvent(buffer.slice(0, match.index));
        buffer = buffer.slice(match.index + match[0].length);
        if (event) onEvent(event);
      }
    }
    buffer += decoder.decode();
    const last = buffer.trim() ? parseEvent(buffer) : null;
    if (last) onEvent(last);
  }

  // ---- copy and feedback ------------------------------------------------
  async function copyText(value) {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(value);
      return;
    }
    // Plain-HTTP sites have no clipboard API: copy through a hidden text area.
    const area = element("textarea");
    area.value = value;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.append(area);
    area.select();
    const copied = document.execCommand("copy");
    area.remove();
    if (!copied) throw new Error("copy failed");
  }

  function feedbackUrl(messageId) {
    return form.dataset.feedbackUrl.replace("/0/", "/" + encodeURIComponent(messageId) + "/");
  }

  async function sendFeedback(messageId, helpful, comment) {
    const response = await fetch(feedbackUrl(messageId), {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken, Accept: "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ helpful: helpful, comment: comment }),
    });
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  // A thumb drawn as SVG (no emoji font needed); thumbs down is the same icon turned over.
  const THUMB = "M7 10v11H4a1 1 0 0 1-1-1v-9a1 1 0 0 1 1-1h3zm0 0 4-8a3 3 0 0 1 3 3v4h5.5a2 2 0 0 1 2 2.3l-1.4 8A2 2 0 0 1 18.1 21H7";
  function thumbIcon() {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", "icon");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", THUMB);
    svg.append(path);
    return svg;
  }

  function thumbButton(className, label) {
    const button = element("button", "button ghost small thumb " + className);
    button.type = "button";
    button.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-label", label);
    button.title = label;
    button.append(thumbIcon());
    return button;
  }

  // Copy, thumbs up/down and the optional comment under a finished answer.
  function addActions(article, messageId, feedback) {
    const bar = element("div", "answer-actions");
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", text.feedback_actions || "Answer actions");
    const copy = element("button", "button ghost small copy-answer", text.copy || "Copy");
    copy.type = "button";
    const up = thumbButton("thumb-up", text.helpful || "Helpful");
    const down = thumbButton("thumb-down", text.not_helpful || "Not helpful");
    const note = element("span", "answer-actions-status muted small");
    note.setAttribute("role", "status");
    bar.append(copy, up, down, note);

    const commentForm = element("form", "feedback-comment");
    commentForm.hidden = true;
    const fieldId = "feedback-comment-" + messageId;
    const label = element("label", "visually-hidden", text.comment_label || "Comment");
    label.htmlFor = fieldId;
    const field = element("textarea");
    field.id = fieldId;
    field.rows = 2;
    field.maxLength = 2000;
    field.placeholder = text.comment_placeholder || "";
    const send = element("button", "button small", text.send || "Send");
    send.type = "submit";
    commentForm.append(label, field, send);

    let helpful = feedback ? feedback.helpful : null;
    function showChoice() {
      up.setAttribute("aria-pressed", String(helpful === true));
      down.setAttribute("aria-pressed", String(helpful === false));
    }
    if (feedback) field.value = feedback.comment || "";
    showChoice();

    async function submit(value, withComment) {
      const previous = helpful;
      helpful = value;
      showChoice();
      try {
        await sendFeedback(messageId, value, field.value);
        note.textContent = withComment ? text.thanks || "" : "";
        if (withComment) commentForm.hidden = true;
        else {
          commentForm.hidden = false;
          field.focus();
        }
      } catch (error) {
        helpful = previous;
        showChoice();
        note.textContent = text.feedback_failed || "Error";
      }
    }
    up.addEventListener("click", function () { submit(true, false); });
    down.addEventListener("click", function () { submit(false, false); });
    commentForm.addEventListener("submit", function (event) {
      event.preventDefault();
      if (helpful !== null) submit(helpful, true);
    });
    copy.addEventListener("click", async function () {
      try {
        await copyText(rawAnswers.get(article) || "");
        note.textContent = text.copied || "Copied";
      } catch (error) {
        note.textContent = text.copy_failed || "Error";
      }
    });
    article.append(bar, commentForm);
  }

  // ---- asking ------------------------------------------------------------
  function setBusy(value) {
    busy = value;
    if (value) messages.querySelectorAll(".turn-action").forEach(function (node) { node.remove(); });
    askButton.disabled = value;
    askButton.hidden = value;
    stopButton.hidden = !value;
    form.classList.toggle("busy", value);
  }

  stopButton.addEventListener("click", function () {
    if (controller) controller.abort();
  });

  // ---- regenerate the last answer, edit the last question -----------------
  const editNote = document.getElementById("edit-note");
  let pendingReplace = null; // the answer id an edited question replaces

  function lastTurn() {
    const articles = messages.querySelectorAll("article.message");
    const answer = articles[articles.length - 1];
    const asked = articles[articles.length - 2];
    if (!answer || !asked || !answer.classList.contains("assistant") || !asked.classList.contains("user")) return null;
    if (!answer.dataset.messageId) return null;
    return { answer: answer, asked: asked, id: parseInt(answer.dataset.messageId, 10) };
  }

  function turnButton(className, label) {
    const button = element("button", "button ghost small turn-action " + className, label);
    button.type = "button";
    return button;
  }

  // Only the last question and answer of a conversation can be asked again.
  function refreshTurnActions() {
    messages.querySelectorAll(".turn-action").forEach(function (node) { node.remove(); });
    const turn = busy ? null : lastTurn();
    if (!turn || !form.dataset.conversationId) return;
    const regenerate = turnButton("regenerate", text.regenerate || "Regenerate");
    regenerate.addEventListener("click", function () {
      const value = turn.asked.querySelector(".message-text").textContent;
      cancelEdit();
      turn.asked.remove();
      turn.answer.remove();
      ask(value, turn.id);
    });
    const bar = turn.answer.querySelector(".answer-actions");
    if (bar) bar.insertBefore(regenerate, bar.querySelector(".answer-actions-status"));
    else turn.answer.append(regenerate);
    const edit = turnButton("edit-question", text.edit || "Edit");
    edit.addEventListener("click", function () {
      pendingReplace = turn.id;
      question.value = turn.asked.querySelector(".message-text").textContent;
      if (editNote) editNote.hidden = false;
      question.focus();
    });
    turn.asked.append(edit);
  }

  function cancelEdit() {
    pendingReplace = null;
    if (editNote) editNote.hidden = true;
  }
  if (editNote) {
    editNote.querySelector("button").addEventListener("click", function () {
      cancelEdit();
      question.value = "";
      question.focus();
    });
  }

  async function ask(value, replace) {
    const empty = document.getElementById("empty-state");
    if (empty) empty.remove();
    addUserMessage(value);
    const live = addAnswer();
    const conversationId = form.dataset.conversationId ? parseInt(form.dataset.conversationId, 10) : null;
    let finished = false;
    let startedConversation = null;
    let streamed = "";
    let frame = 0;
    controller = new AbortController();
    setBusy(true);
    stopButton.focus();
    status.textContent = text.searching || "Searching…";
    scrollToEnd();

    // Re-render the Markdown at most once per frame while deltas arrive. Markers stay
    // plain text until "done": they are numbered by first use, the passages found by rank.
    function scheduleRender() {
      if (frame) return;
      frame = window.requestAnimationFrame(function () {
        frame = 0;
        renderAnswer(live.answer, streamed, {});
        scrollToEnd();
      });
    }

    function onEvent(event) {
      const data = event.data;
      if (event.name === "sources") {
        startedConversation = data.conversation_id;
        status.textContent = text.writing || "Writing…";
      } else if (event.name === "delta") {
        streamed += data.text || "";
        rawAnswers.set(live.article, streamed);
        scheduleRender();
      } else if (event.name === "done") {
        finished = true;
        if (frame) window.cancelAnimationFrame(frame);
        frame = 0;
        // The sources as the final text numbers them (cited first, by first use).
        const all = {};
        (data.sources || []).forEach(function (source) { all[source.number] = source; });
        const cited = {};
        (data.citations || []).forEach(function (n) { if (all[n]) cited[n] = all[n]; });
        liveSources.set(live.article, cited);
        rawAnswers.set(live.article, data.text || "");
        live.article.dataset.messageId = String(data.message_id);
        live.article.dataset.backend = data.backend || "";
        renderAnswer(live.answer, data.text || "", cited);
        if (data.notice) {
          const note = element("p", "answer-note notice", text["notice_" + data.notice.code] || data.notice.message);
          note.dataset.notice = data.notice.code;
          live.article.append(note);
        } else if (!data.grounded && !data.abstained) {
          live.article.append(element("p", "answer-note", text.ungrounded));
        }
        if (data.sentences && data.sentences.unsupported) {
          live.article.append(element("p", "answer-note unsupported", text.unsupported));
        }
        renderSourceList(live.article, cited);
        addActions(live.article, data.message_id, null);
        rememberConversation(data.conversation_id, value);
        status.textContent = text.done || "";
      } else if (event.name === "error") {
        finished = true;
        showError(live.article, data.message || data.code || "Error");
        // The question was stored: stay in its conversation for the next one.
        if (startedConversation) rememberConversation(startedConversation, value);
        status.textContent = text.failed || "";
      }
      scrollToEnd();
    }

    try {
      const response = await fetch(form.action, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken, Accept: "text/event-stream" },
        credentials: "same-origin",
        body: JSON.stringify({
          question: value, conversation_id: conversationId, collection_ids: selectedCollections(), model: selectedModel(),
          replace: replace || null,
        }),
        signal: controller.signal,
      });
      if (!response.ok) {
        let message = response.status === 401 ? text.signin : response.status + " " + response.statusText;
        try { message = (await response.json()).message || message; } catch (ignored) { /* not JSON */ }
        showError(live.article, message);
        status.textContent = text.failed || "";
        return;
      }
      await readEvents(response, onEvent);
      if (!finished) {
        showError(live.article, text.network || "The connection was lost.");
        status.textContent = text.failed || "";
      }
    } catch (error) {
      if (error && error.name === "AbortError") {
        // Stopped by the user: closing the connection ends the answer on the server too.
        if (frame) window.cancelAnimationFrame(frame);
        frame = 0;
        renderAnswer(live.answer, streamed, {});
        live.article.classList.add("stopped");
        live.article.append(element("p", "answer-note answer-stopped", text.stopped || "Stopped."));
        if (startedConversation) rememberConversation(startedConversation, value);
        status.textContent = text.stopped_status || "";
      } else {
        showError(live.article, text.network || "The connection was lost.");
        status.textContent = text.failed || "";
      }
    } finally {
      controller = null;
      live.article.classList.remove("streaming");
      live.article.setAttribute("aria-busy", "false");
      setBusy(false);
      refreshTurnActions();
      question.focus();
      scrollToEnd();
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const value = question.value.trim();
    if (!value || busy) return;
    question.value = "";
    const replace = pendingReplace;
    cancelEdit();
    if (replace) {
      // The edited question replaces the last one and its answer (on the server too).
      const turn = lastTurn();
      if (turn && turn.id === replace) {
        turn.asked.remove();
        turn.answer.remove();
      }
    }
    ask(value, replace);
  });

  question.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // ---- rename and delete -----------------------------------------------
  document.addEventListener("submit", function (event) {
    const message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });
  const rename = document.getElementById("rename");
  if (rename) {
    rename.addEventListener("toggle", function () {
      if (!rename.open) return;
      const field = document.getElementById("rename-title");
      field.focus();
      field.select();
    });
  }

  // ---- stored answers: Markdown and actions --------------------------------
  messages.querySelectorAll(".message.assistant[data-message-id]").forEach(function (article) {
    const id = article.dataset.messageId;
    if (!(id in storedAnswers)) return;
    rawAnswers.set(article, storedAnswers[id]);
    renderAnswer(article.querySelector(".answer-text"), storedAnswers[id], sourcesFor(article));
    addActions(article, id, storedFeedback[id] || null);
  });

  refreshTurnActions();

  // Back/forward between /c/<id>/ URLs: reload so the page shows that conversation.
  window.addEventListener("popstate", function () { window.location.reload(); });

  // ---- small screens: the conversation list slides in -----------------
  const toggle = document.querySelector(".sidebar-toggle");
  function closeSidebar() {
    if (!document.body.classList.contains("sidebar-open")) return;
    document.body.classList.remove("sidebar-open");
    if (toggle) {
      toggle.setAttribute("aria-expanded", "false");
      toggle.focus();
    }
  }
  if (toggle) {
    toggle.addEventListener("click", function () {
      const open = document.body.classList.toggle("sidebar-open");
      toggle.setAttribute("aria-expanded", String(open));
    });
  }

  scrollToEnd();
})();
