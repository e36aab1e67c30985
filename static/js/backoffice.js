// The back-office editors, kept out of the HTML for the Content-Security-Policy.

// Scenario editor: "Add a step" copies the formset's empty form and counts it.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-add-step]");
  if (!button) return;
  const prefix = button.dataset.addStep;
  const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
  const template = document.getElementById("empty-step");
  const index = Number(total.value);
  const html = template.innerHTML.replaceAll("__prefix__", String(index));
  const holder = document.createElement("div");
  holder.innerHTML = html;
  const card = holder.firstElementChild;
  const order = card.querySelector(`[name="${prefix}-${index}-ORDER"]`);
  if (order) order.value = String(index + 1);
  document.getElementById(prefix).appendChild(card);
  total.value = String(index + 1);
  card.querySelector("select, input:not([type=hidden])")?.focus();
  card.closest("form")?.dispatchEvent(new Event("change", { bubbles: true }));
});
