// The console's menu button on narrow screens: shows and hides the navigation.
"use strict";
(function () {
  const button = document.querySelector(".menu-toggle");
  const menu = document.getElementById("main-nav");
  if (!button || !menu) return;
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("open", open);
  });
})();
