// Behaviour kept out of the HTML so the Content-Security-Policy can forbid inline scripts.
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.submit();
});

// Charts: <canvas data-chart="ID"> reads its Chart.js configuration from the
// {{ config|json_script:"ID" }} element, so pages never need an inline script.
function drawCharts(root) {
  if (typeof window.Chart === "undefined") return;
  root.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    if (canvas.dataset.drawn) return;
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    canvas.dataset.drawn = "1";
    new window.Chart(canvas, JSON.parse(source.textContent));
  });
}

// Keyboard shortcuts: any element with data-shortcut="n" is clicked when that key is pressed
// outside a text field; <kbd> hints next to the buttons say which key.
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target.closest("input, textarea, select, [contenteditable]")) return;
  const element = document.querySelector(`[data-shortcut="${CSS.escape(event.key)}"]`);
  if (element) {
    event.preventDefault();
    element.click();
  }
});

// Copy to clipboard: <button data-copy="text">.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button || !navigator.clipboard) return;
  navigator.clipboard.writeText(button.dataset.copy);
});

document.addEventListener("DOMContentLoaded", () => drawCharts(document));
document.addEventListener("htmx:afterSettle", (event) => drawCharts(event.target));
