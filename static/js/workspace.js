// The agent workspace: htmx shows refusals (400, 409) in place, a started call dials, and the
// agent's claim on a case is released when the page closes (navigator.sendBeacon).
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if (status === 400 || status === 409) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

document.addEventListener("htmx:afterSettle", (event) => {
  const dial = event.target.querySelector("[data-autodial]");
  if (dial) dial.click();
});

window.addEventListener("pagehide", () => {
  const holder = document.querySelector("[data-lease-release]");
  const token = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (!holder || !token || !navigator.sendBeacon || holder.dataset.leaving) return;
  const data = new FormData();
  data.append("csrfmiddlewaretoken", token.value);
  data.append("beacon", "1");
  navigator.sendBeacon(holder.dataset.leaseRelease, data);
});

// Following a link inside the case (a letter, the review) is not leaving it.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href]");
  const holder = document.querySelector("[data-lease-release]");
  if (link && holder && link.href.includes(window.location.pathname)) holder.dataset.leaving = "1";
});

// A form sent from the case page comes back to it, or releases the claim itself (leave, next).
document.addEventListener("submit", () => {
  const holder = document.querySelector("[data-lease-release]");
  if (holder) holder.dataset.leaving = "1";
});
