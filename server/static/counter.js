// A live count under every limited text box (textarea[maxlength]): how many characters are
// typed of how many allowed, and a warning when a paste was cut at the limit. The count
// goes into the element named by data-counter, or a new one after the box; in English on a
// page in English (a visitor's choice).
"use strict";
(function () {
  const english = document.documentElement.lang.startsWith("en");
  for (const box of document.querySelectorAll("textarea[maxlength]:not([readonly])")) {
    const limit = Number(box.getAttribute("maxlength"));
    let counter = box.dataset.counter ? document.getElementById(box.dataset.counter) : null;
    if (!counter) {
      counter = document.createElement("small");
      counter.className = "counter";
      counter.id = `counter-${Math.random().toString(36).slice(2)}`;
      counter.setAttribute("aria-live", "polite");
      box.insertAdjacentElement("afterend", counter);
      box.setAttribute("aria-describedby", counter.id);
    }
    if (!limit) continue;
    let cut = false;
    const show = () => {
      const used = [...box.value].length;
      counter.textContent = english
        ? `${used} / ${limit} characters`
          + (cut ? "; the rest of what you pasted did not fit, please shorten it."
            : used >= limit ? "; that is the limit." : "")
        : `已输入 ${used} / ${limit} 字`
          + (cut ? "，超出的部分没有粘贴进来，请删减后再补充。" : used >= limit ? "，已达上限。" : "");
      counter.classList.toggle("full", cut || used >= limit);
    };
    box.addEventListener("paste", (event) => {
      const pasted = event.clipboardData ? event.clipboardData.getData("text") : "";
      const selected = box.selectionEnd - box.selectionStart;
      cut = [...box.value].length - selected + [...pasted].length > limit;  // input follows
    });
    box.addEventListener("input", () => { show(); cut = false; });
    if (box.form) box.form.addEventListener("reset", () => setTimeout(show, 0));
    show();
  }
})();
