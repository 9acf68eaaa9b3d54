// Copy a client link to the clipboard from any ".zf-copy" button (CSP forbids inline handlers).
document.addEventListener("click", (event) => {
  const button = event.target.closest(".zf-copy");
  if (!button) {
    return;
  }
  const input = document.querySelector(button.dataset.copyTarget);
  if (!input) {
    return;
  }
  input.select();
  const done = () => {
    const label = button.textContent;
    button.textContent = button.dataset.copiedText || label;
    setTimeout(() => {
      button.textContent = label;
    }, 2000);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(input.value).then(done, () => document.execCommand("copy") && done());
  } else if (document.execCommand("copy")) {
    done();
  }
});
