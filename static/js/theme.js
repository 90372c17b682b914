// Applies the saved theme before first paint (loaded synchronously in <head>).
(function () {
  var root = document.documentElement;
  root.classList.add("js");
  try {
    // A signed-in member's saved preference (rendered by the server) wins.
    var saved = localStorage.getItem("cooprogreso-theme");
    if (!root.hasAttribute("data-theme") && (saved === "light" || saved === "dark")) {
      root.setAttribute("data-theme", saved);
    }
  } catch (e) { /* storage unavailable: follow the system theme */ }
})();
