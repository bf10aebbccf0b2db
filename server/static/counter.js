// A live count under each limited text box (textarea[data-counter]): how many characters
// are typed of how many allowed, and a warning when a paste was cut at the limit.
"use strict";
(function () {
  for (const box of document.querySelectorAll("textarea[data-counter]")) {
    const counter = document.getElementById(box.dataset.counter);
    const limit = Number(box.getAttribute("maxlength"));
    if (!counter || !limit) continue;
    let cut = false;
    const show = () => {
      const used = [...box.value].length;
      counter.textContent = `已输入 ${used} / ${limit} 字`
        + (cut ? `，超出的部分没有粘贴进来，请删减后再补充。` : used >= limit ? "，已达上限。" : "");
      counter.classList.toggle("full", cut || used >= limit);
    };
    box.addEventListener("paste", (event) => {
      const pasted = event.clipboardData ? event.clipboardData.getData("text") : "";
      const selected = box.selectionEnd - box.selectionStart;
      cut = [...box.value].length - selected + [...pasted].length > limit;  // input follows
    });
    box.addEventListener("input", () => { show(); cut = false; });
    show();
  }
})();
