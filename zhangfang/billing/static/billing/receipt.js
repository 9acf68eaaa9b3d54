// The receipt page's print button (CSP allows no inline handlers).
document.getElementById("zf-print")?.addEventListener("click", () => window.print());
