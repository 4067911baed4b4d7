// Every page: the language switch applies as soon as a language is chosen. Also the
// helpers the console's live tables share (window.Enclave): this file loads before them.
"use strict";

window.Enclave = (function () {
  // A status URL's JSON body, asked in this session; a failed answer throws.
  async function getJson(url) {
    const response = await fetch(url, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  // A live row's status: its data-status and its badge (the element of class ``badgeClass``).
  function showStatus(row, badgeClass, status, labels) {
    row.dataset.status = status;
    const badge = row.querySelector("." + badgeClass);
    badge.className = "badge " + badgeClass + " status-" + status;
    badge.textContent = labels[status] || status;
  }

  // An error line: shown with its message, hidden when there is none.
  function showError(element, message) {
    element.textContent = message || "";
    element.hidden = !message;
  }

  return { getJson: getJson, showStatus: showStatus, showError: showError };
})();

(function () {
  const form = document.getElementById("language-form");
  if (!form) return;
  const select = form.querySelector("select");
  form.querySelector(".language-submit").hidden = true;
  select.addEventListener("change", function () { form.requestSubmit(); });
})();
