// LedgerLink's page behaviour, kept out of the templates so the Content-Security-Policy can
// allow scripts from our own origin only (no inline handlers).
(function () {
  "use strict";

  // The phone layout's menu: closed until its button opens it (CSS keeps it listed without JS).
  document.documentElement.classList.add("js");
  document.addEventListener("click", function (event) {
    var toggle = event.target instanceof Element ? event.target.closest("#menu-toggle") : null;
    if (!toggle) {
      return;
    }
    var bar = toggle.closest(".topbar");
    var open = !bar.classList.contains("nav-open");
    bar.classList.toggle("nav-open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
  document.addEventListener("keydown", function (event) {
    var bar = document.querySelector(".topbar.nav-open");
    if (event.key === "Escape" && bar) {
      bar.classList.remove("nav-open");
      var toggle = document.getElementById("menu-toggle");
      toggle.setAttribute("aria-expanded", "false");
      toggle.focus();
    }
  });

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
