// Behaviour kept out of the HTML so the Content-Security-Policy can forbid inline scripts.
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.submit();
});
