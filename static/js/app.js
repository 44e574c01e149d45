// LedgerLink's page behaviour, kept out of the templates so the Content-Security-Policy can
// allow scripts from our own origin only (no inline handlers).
(function () {
  "use strict";

  // <form data-confirm="Question?">: ask before submitting; Cancel keeps the page as it is.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form instanceof HTMLFormElement ? form.getAttribute("data-confirm") : null;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // <input data-select-on-click>: a click selects the whole value (for copying a key).
  document.addEventListener("click", function (event) {
    var field = event.target;
    if (field instanceof HTMLInputElement && field.hasAttribute("data-select-on-click")) {
      field.select();
    }
  });
})();
