// Draws every chart spec the page carries as <script type="application/json" id="...-spec">
// into its <div data-chart-spec="...-spec">, with plotly.js served from the installed plotly
// package. No inline script; htmx swaps are followed so a refreshed fragment is drawn too.
(function () {
  "use strict";
  function draw(root) {
    if (typeof Plotly === "undefined") { return; }
    var targets = (root || document).querySelectorAll("[data-chart-spec]");
    Array.prototype.forEach.call(targets, function (el) {
      var source = document.getElementById(el.getAttribute("data-chart-spec"));
      if (!source) { return; }
      var spec = JSON.parse(source.textContent);
      Plotly.react(el, spec.data, spec.layout,
                   {responsive: true, displaylogo: false, showLink: false,
                    modeBarButtonsToRemove: ["sendDataToCloud"]});
      el.setAttribute("data-chart-drawn", "true");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (evt) { draw(evt.target); });
})();
