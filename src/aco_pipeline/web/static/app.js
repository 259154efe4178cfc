// aco-pipeline web app: loaded from this origin (the CSP forbids inline scripts).
// htmx sends the CSRF token of <meta name="csrf-token"> with every request it makes.
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRF-Token"] = meta.content;
  }
});

// <form data-confirm="Really?"> asks before submitting (no inline onclick handlers).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
