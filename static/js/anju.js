/* Anju's few page behaviours, bound here rather than in inline handlers so that the Content
   Security Policy can refuse every inline script. Each page works without them. */
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // A <select data-submit-on-change> sends its form as soon as a choice is made.
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // django-import-export's export form ticks every field with an inline handler, which the
  // policy refuses: the same handler (from its own static script) is bound here instead.
  document.querySelectorAll("input.select-toggle").forEach(function (box) {
    box.addEventListener("change", function (event) {
      if (typeof window.onSelectToggleChange === "function") { window.onSelectToggleChange(event); }
    });
  });
  // A <button data-print> prints the page.
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
