// Portal behaviour, hooked by data-* attributes (no inline scripts: strict CSP).
(function () {
  "use strict";
  var root = document.documentElement;

  function currentTheme() {
    var explicit = root.getAttribute("data-theme");
    if (explicit) return explicit;
    return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function labelThemeButtons() {
    var next = currentTheme() === "dark" ? "claro" : "oscuro";
    document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
      button.setAttribute("aria-label", "Cambiar a tema " + next);
      button.setAttribute("title", "Cambiar a tema " + next);
    });
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-theme-toggle]");
    if (toggle) {
      var theme = currentTheme() === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", theme);
      try { localStorage.setItem("cooprogreso-theme", theme); } catch (e) { /* ignore */ }
      labelThemeButtons();
      return;
    }
    var reveal = event.target.closest("[data-reveal-password]");
    if (reveal) {
      var input = document.getElementById(reveal.getAttribute("data-reveal-password"));
      var show = input.type === "password";
      input.type = show ? "text" : "password";
      reveal.setAttribute("aria-pressed", show ? "true" : "false");
      reveal.setAttribute("aria-label", show ? "Ocultar contraseña" : "Mostrar contraseña");
      return;
    }
    var menuToggle = event.target.closest("[data-menu-toggle]");
    if (menuToggle) {
      var menu = menuToggle.closest(".menu");
      var open = !menu.hasAttribute("data-open");
      menu.toggleAttribute("data-open", open);
      menuToggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
  });

  document.addEventListener("DOMContentLoaded", labelThemeButtons);

  if ("serviceWorker" in navigator && root.hasAttribute("data-sw")) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register(root.getAttribute("data-sw"), { scope: "/" }).catch(function () {});
    });
  }
})();
