// Passkeys (WebAuthn): the server's options in, the browser's credential out, as JSON.
(function () {
  "use strict";
  var supported = window.PublicKeyCredential &&
    typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function" &&
    typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function";

  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : "{}"
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.error || "No pudimos completar la operación.");
        return data;
      });
    });
  }

  function fail(box, error) {
    var out = box.querySelector("[data-passkey-error]");
    out.textContent = error && error.name === "NotAllowedError"
      ? "Se canceló la operación en tu dispositivo."
      : (error && error.message) || "No pudimos completar la operación.";
    out.hidden = false;
  }

  function register(box) {
    post(box.getAttribute("data-options-url"))
      .then(function (options) {
        return navigator.credentials.create({
          publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options)
        });
      })
      .then(function (credential) { return post(box.getAttribute("data-register-url"), credential.toJSON()); })
      .then(function (data) { window.location.assign(data.redirect); })
      .catch(function (error) { fail(box, error); });
  }

  function signIn(box) {
    post(box.getAttribute("data-options-url"))
      .then(function (options) {
        return navigator.credentials.get({
          publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options)
        });
      })
      .then(function (credential) { return post(box.getAttribute("data-login-url"), credential.toJSON()); })
      .then(function (data) { window.location.assign(data.redirect); })
      .catch(function (error) { fail(box, error); });
  }

  document.addEventListener("click", function (event) {
    var start = event.target.closest("[data-passkey-start]");
    if (!start) return;
    var box = start.closest("[data-passkey-register], [data-passkey-login]");
    if (!supported) return fail(box, new Error("Este navegador no admite passkeys."));
    if (box.hasAttribute("data-passkey-register")) register(box); else signIn(box);
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (!supported) return;
    document.querySelectorAll("[data-passkey-login]").forEach(function (box) { box.hidden = false; });
  });
})();
