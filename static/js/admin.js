// Django's "Permisos" and "Grupos" choosers (SelectFilter2.js) label their search icon
// with aria-label on a bare <span>, a element no label may name (axe
// aria-prohibited-attr). The icon stands for the filter's purpose: give it the image role
// its label describes. The choosers are built on the window's load event, by a listener
// registered before this file's (the form's media load in the head).
window.addEventListener("load", () => {
  for (const icon of document.querySelectorAll(".selector .search-label-icon[aria-label]")) {
    icon.setAttribute("role", "img");
  }
});
