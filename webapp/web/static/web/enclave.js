// Every page: the language switch applies as soon as a language is chosen.
"use strict";

(function () {
  const form = document.getElementById("language-form");
  if (!form) return;
  const select = form.querySelector("select");
  form.querySelector(".language-submit").hidden = true;
  select.addEventListener("change", function () { form.requestSubmit(); });
})();
