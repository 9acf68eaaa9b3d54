// Small behaviours that CSP forbids inline: auto-submit selects, confirm dangerous actions.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.classList && el.classList.contains("zf-autosubmit")) {
    el.form.requestSubmit();
  }
});
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
// A "select all" checkbox in a table header ticks the row checkboxes of that table.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.classList && el.classList.contains("zf-check-all")) {
    el.closest("table").querySelectorAll(".zf-row-check").forEach((box) => {
      box.checked = el.checked;
    });
  }
});
