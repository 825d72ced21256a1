// Draws the report chart from the figure the server put in data-figure (no inline scripts).
(function () {
  "use strict";
  function draw() {
    var el = document.getElementById("report-chart");
    if (!el || !window.Plotly) { return; }
    var figure = JSON.parse(el.getAttribute("data-figure"));
    window.Plotly.newPlot(el, figure.data, figure.layout, {
      displayModeBar: false,
      responsive: true
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
