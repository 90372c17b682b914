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
      var url = root.getAttribute("data-theme-url");
      var token = document.querySelector("input[name=csrfmiddlewaretoken]");
      if (url && token) {  // remember it on the member's profile too
        var body = new FormData();
        body.append("theme", theme);
        body.append("csrfmiddlewaretoken", token.value);
        fetch(url, { method: "POST", body: body, credentials: "same-origin", redirect: "manual" });
      }
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
    var share = event.target.closest("[data-share]");
    if (share) {  // account details: the Web Share API, else the clipboard
      var text = share.getAttribute("data-share");
      if (navigator.share) {
        navigator.share({ text: text }).catch(function () { /* dismissed */ });
      } else if (navigator.clipboard) {
        navigator.clipboard.writeText(text).then(function () {
          announce("Datos de la cuenta copiados.");
        }, function () { announce(text); });
      } else {
        announce(text);
      }
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

  // A polite status message (copied to the clipboard…), read by screen readers.
  function announce(message) {
    var region = document.getElementById("announcer");
    if (!region) {
      region = document.createElement("div");
      region.id = "announcer";
      region.className = "toast";
      region.setAttribute("role", "status");
      document.body.appendChild(region);
    }
    region.textContent = message;
    region.hidden = false;
    clearTimeout(region._timer);
    region._timer = setTimeout(function () { region.hidden = true; }, 4000);
  }

  // --- A destination distinct from the origin -------------------------------------------
  // <select data-distinct-from="origen">: the option whose value the form's "origen" field
  // holds is disabled and hidden (the server renders it so for the origin it knows), and a
  // destination equal to the new origin is cleared. Own-account transfers.
  function syncDistinct(scope) {
    (scope || document).querySelectorAll("select[data-distinct-from]").forEach(function (select) {
      var form = select.form;
      var origin = form && form.elements.namedItem(select.getAttribute("data-distinct-from"));
      if (!origin) return;
      Array.prototype.forEach.call(select.options, function (option) {
        var same = option.value !== "" && option.value === origin.value;
        option.disabled = same;
        option.hidden = same;
        if (same && option.selected) select.value = "";
      });
    });
  }
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.querySelector("select[data-distinct-from='" + event.target.name + "']")) {
      syncDistinct(form);
    }
  });
  document.addEventListener("DOMContentLoaded", function () { syncDistinct(); });
  document.addEventListener("htmx:afterSwap", function (event) { syncDistinct(event.target); });
  // --- end: a destination distinct from the origin ----------------------------------------

  // "El código expira en 02:58": counts down any [data-countdown] element.
  function startCountdowns(scope) {
    (scope || document).querySelectorAll("[data-countdown]").forEach(function (el) {
      if (el.dataset.countdownStarted) return;
      el.dataset.countdownStarted = "1";
      var left = parseInt(el.getAttribute("data-countdown"), 10) || 0;
      var value = el.querySelector("[data-countdown-value]");
      function render() {
        var m = Math.floor(left / 60), s = left % 60;
        value.textContent = (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
        if (left <= 0) {
          el.textContent = "El código expiró. Solicita uno nuevo.";
          return;
        }
        left -= 1;
        setTimeout(render, 1000);
      }
      render();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    labelThemeButtons();
    startCountdowns();
  });
  document.addEventListener("htmx:afterSwap", function (event) { startCountdowns(event.target); });

  // Errors: the portal answers an HTMX request that fails (404, 403, 429, 500…) with a
  // card the size of a dialog, marked data-error-page. htmx does not swap 4xx/5xx answers
  // by default, so let that card into the dialog that asked. Any other failure (a proxy's
  // page, no connection) is announced instead of leaving the button silent.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (detail.xhr.status >= 400 && typeof detail.serverResponse === "string" &&
        detail.serverResponse.indexOf("data-error-page") !== -1) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });
  document.addEventListener("htmx:responseError", function () {
    announce("No pudimos completar la solicitud. Recarga la página e inténtalo de nuevo.");
  });
  document.addEventListener("htmx:sendError", function () {
    announce("No pudimos conectarnos con la cooperativa. Revisa tu conexión e inténtalo de nuevo.");
  });

  // Idle timeout: warn a minute before the server ends the session; "Continuar
  // conectado" renews it, any HTMX request counts as activity.
  (function idleTimer() {
    var idle = parseInt(root.getAttribute("data-idle-seconds"), 10);
    if (!idle) return;
    var dialog, warnTimer, endTimer, tick;
    function arm() {
      clearTimeout(warnTimer); clearTimeout(endTimer); clearInterval(tick);
      if (dialog && dialog.open) dialog.close();
      warnTimer = setTimeout(warn, Math.max(0, (idle - 60) * 1000));
      endTimer = setTimeout(function () {
        window.location.assign(root.getAttribute("data-login-url"));
      }, idle * 1000);
    }
    function warn() {
      dialog = document.querySelector("[data-idle-dialog]");
      if (!dialog) return;
      var left = 60, out = dialog.querySelector("[data-idle-left]");
      out.textContent = left;
      tick = setInterval(function () { left = Math.max(0, left - 1); out.textContent = left; }, 1000);
      dialog.showModal();
    }
    document.addEventListener("submit", function (event) {
      var form = event.target.closest("[data-keepalive]");
      if (!form) return;
      event.preventDefault();
      fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (r) { if (r.ok) arm(); else window.location.assign(root.getAttribute("data-login-url")); });
    });
    document.addEventListener("htmx:afterRequest", arm);
    document.addEventListener("DOMContentLoaded", arm);
  })();

  if ("serviceWorker" in navigator && root.hasAttribute("data-sw")) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register(root.getAttribute("data-sw"), { scope: "/" }).catch(function () {});
    });
  }
})();
