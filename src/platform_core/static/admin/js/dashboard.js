/* The owner's dashboard: draws the charts described in #sz-charts with Chart.js. */
(function () {
  "use strict";
  var pesos = new Intl.NumberFormat("es-CO", { maximumFractionDigits: 0 });
  function money(v) { return "$ " + pesos.format(v); }
  var palette = ["#417690", "#e0a458", "#79aec8", "#c0392b", "#5b8c5a", "#8e6c8a", "#b8b8b8"];

  function draw() {
    var data = document.getElementById("sz-charts");
    if (!data || typeof Chart === "undefined") { return; }
    JSON.parse(data.textContent).forEach(function (spec) {
      var canvas = document.getElementById("chart-" + spec.key);
      if (!canvas) { return; }
      var round = spec.kind === "doughnut";
      var datasets = spec.series.map(function (s, i) {
        return {
          label: s.label,
          data: s.data,
          backgroundColor: round ? palette : palette[i % palette.length],
          borderColor: round ? "#fff" : palette[i % palette.length],
          fill: false,
          tension: 0.25
        };
      });
      var fmt = spec.money ? money : function (v) { return pesos.format(v); };
      var options = {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: spec.horizontal ? "y" : "x",
        plugins: {
          legend: { display: round || spec.series.length > 1 },
          tooltip: { callbacks: { label: function (ctx) {
            var v = ctx.parsed && typeof ctx.parsed === "object" ? (spec.horizontal ? ctx.parsed.x : ctx.parsed.y) : ctx.parsed;
            return (ctx.dataset.label ? ctx.dataset.label + ": " : "") + fmt(v);
          } } }
        }
      };
      if (!round) {
        var valueAxis = { beginAtZero: true, stacked: spec.stacked, ticks: { precision: 0, callback: function (v) { return fmt(v); } } };
        // Long names (products, services) are cut so the bars keep their room.
        var labelAxis = { stacked: spec.stacked, ticks: { callback: function (v) {
          var text = this.getLabelForValue(v);
          return text && text.length > 24 ? text.slice(0, 23) + "…" : text;
        } } };
        options.scales = spec.horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis };
      }
      canvas.parentNode.style.height = "300px";
      new Chart(canvas, { type: spec.kind, data: { labels: spec.labels, datasets: datasets }, options: options });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
