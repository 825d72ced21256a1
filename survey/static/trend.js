// Draws the trend page's charts from the figures the server put in data-figure (no inline
// scripts, no requests: plotly.js comes from our own server). In the print view the charts are
// static and sized for A4.
(function () {
  "use strict";
  var printing = document.body.classList.contains("print-view");
  function draw() {
    if (!window.Plotly) { return; }
    var charts = document.querySelectorAll(".trend-chart[data-figure]");
    Array.prototype.forEach.call(charts, function (el) {
      var figure = JSON.parse(el.getAttribute("data-figure"));
      window.Plotly.newPlot(el, figure.data, figure.layout, {
        displayModeBar: false,
        responsive: !printing,
        staticPlot: printing
      }).then(function () { el.setAttribute("data-drawn", "true"); });
    });
    var button = document.querySelector("[data-print]");
    if (button) {
      button.addEventListener("click", function () { window.print(); });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
