// The administrator's pages: a "Copy" button copies the text of the field it names (data-copy="ID").
"use strict";
for (const button of document.querySelectorAll("button[data-copy]")) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const field = document.getElementById(button.dataset.copy);
    const status = document.getElementById(button.dataset.copy + "-status");
    try {
      await navigator.clipboard.writeText(field.value);
      status.textContent = "Copied.";
    } catch {
      field.select();
      status.textContent = "Select the link and copy it.";
    }
  });
}
