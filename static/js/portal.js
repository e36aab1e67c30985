// The creditor portal's behaviour (kept out of the HTML for the Content-Security-Policy).
(function () {
  "use strict";

  // Intake: show the fields that fit the kind of debtor (SIREN for companies, first name for people).
  function showKind(form) {
    const checked = form.querySelector("input[name='debtor-kind']:checked");
    if (!checked) return;
    form.querySelectorAll("[data-only-kind]").forEach((element) => {
      element.hidden = !element.dataset.onlyKind.split(" ").includes(checked.value);
    });
  }

  // Intake: one more invoice row, fetched from the server (htmx), numbered after the others.
  function addClaim(button) {
    const total = document.getElementById("id_claims-TOTAL_FORMS");
    const index = parseInt(total.value, 10);
    const max = parseInt(document.getElementById("id_claims-MAX_NUM_FORMS").value, 10);
    if (index >= max) return;
    total.value = index + 1;
    window.htmx
      .ajax("GET", `${button.dataset.url}?index=${index}`, { target: "#claims", swap: "beforeend" })
      .then(() => {
        const rows = document.querySelectorAll("[data-claim-row]");
        const field = rows[rows.length - 1].querySelector("input");
        if (field) field.focus();
      });
  }

  // Intake: ask the server what the SIREN typed says (valid, already in your cases).
  function checkSiren(input) {
    const value = input.value.replace(/\s/g, "");
    if (value.length < 9) return;
    window.htmx.ajax("GET", `${input.dataset.checkUrl}?debtor-siren=${encodeURIComponent(value)}`, {
      target: "#siren-check",
      swap: "innerHTML",
    });
  }

  document.addEventListener("click", (event) => {
    const add = event.target.closest("[data-add-claim]");
    if (add) {
      event.preventDefault();
      addClaim(add);
      return;
    }
    const remove = event.target.closest("[data-remove-claim]");
    if (remove) {
      event.preventDefault();
      remove.closest("[data-claim-row]").remove();
    }
    const open = event.target.closest("[data-open-action]");
    if (open) {
      const panel = document.getElementById(open.dataset.openAction);
      if (panel) panel.scrollIntoView({ block: "nearest" });
    }
  });

  document.addEventListener("change", (event) => {
    if (event.target.name === "debtor-kind") showKind(event.target.form);
    if (event.target.matches("[data-check-url]")) checkSiren(event.target);
  });

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("intake-form");
    if (form) showKind(form);
  });
})();
