// Draws Chart.js charts from the accessible tables beside them, so chart and table show the same numbers.
// Tables opt in with data-chart="figur8" (bars per element and group, lines at 3.0 and 4.0) or "line".
(function () {
  if (typeof window.Chart === 'undefined') return;
  var palette = ['#00437a', '#b35900', '#2e7d32', '#6a1b9a', '#00838f', '#5d4037', '#37474f'];

  function numbers(row) {
    return Array.prototype.map.call(row.querySelectorAll('td[data-value]'), function (td) {
      var v = td.getAttribute('data-value');
      return v === '' ? null : Number(v);
    });
  }

  function canvasFor(table) {
    var canvas = document.querySelector('canvas[data-chart-for="' + table.id + '"]');
    if (!canvas) return null;
    // A box of fixed height (see .chart-box in parat.css): the plot keeps its height on a phone, where
    // the legend below it needs more rows, instead of shrinking with a 2:1 canvas.
    var box = document.createElement('div');
    box.className = 'chart-box';
    canvas.parentNode.insertBefore(box, canvas);
    box.appendChild(canvas);
    canvas.hidden = false;
    return canvas;
  }

  var narrow = window.matchMedia('(max-width: 40rem)');

  // Shared by every chart: fill the box, legend below the plot, element names on the axis wrapped to lines.
  function options(yExtra, wrapSlash) {
    var base = {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: {
        legend: {
          position: 'bottom',
          labels: {
            boxWidth: 14,
            padding: 8,
            filter: function (item, data) {
              return !data.datasets[item.datasetIndex].threshold;
            },
          },
        },
      },
      scales: {
        x: {
          ticks: {
            autoSkip: false,
            maxRotation: narrow.matches ? 90 : 0,
            callback: function (value) {
              var label = this.getLabelForValue(value);
              // "Viden/Færdigheder" on two lines on a wide screen; a phone turns the labels instead.
              return wrapSlash && !narrow.matches ? String(label).split('/') : label;
            },
          },
        },
        y: { min: 1, max: 5 },
      },
    };
    Object.keys(yExtra || {}).forEach(function (k) {
      base.scales.y[k] = yExtra[k];
    });
    return base;
  }

  // The 3,0 and 4,0 lines are named on the plot itself, not in the legend (fewer legend rows on a phone).
  var thresholdLabels = {
    id: 'paratThresholdLabels',
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      chart.data.datasets.forEach(function (ds, i) {
        if (!ds.threshold || !chart.isDatasetVisible(i)) return;
        var y = chart.scales.y.getPixelForValue(ds.threshold);
        ctx.save();
        ctx.fillStyle = ds.borderColor;
        ctx.font = '12px system-ui, sans-serif';
        ctx.textAlign = 'left';
        ctx.textBaseline = 'middle';
        // In the margin right of the plot, clear of the bars.
        ctx.fillText(String(ds.threshold) + ',0', chart.chartArea.right + 4, y);
        ctx.restore();
      });
    },
  };

  document.querySelectorAll('table[data-chart="figur8"]').forEach(function (table) {
    var canvas = canvasFor(table);
    if (!canvas) return;
    var labels = Array.prototype.map.call(table.querySelectorAll('thead th[data-element]'), function (th) {
      return th.textContent.trim();
    });
    var datasets = Array.prototype.map.call(
      table.querySelectorAll('tbody tr[data-series]'),
      function (row, i) {
        var barrier = Number(row.getAttribute('data-barrier'));
        return {
          type: 'bar',
          label: row.getAttribute('data-series'),
          data: numbers(row),
          backgroundColor: palette[i % palette.length],
          borderColor: labels.map(function (_, j) {
            return j === barrier ? '#a00d1e' : palette[i % palette.length];
          }),
          borderWidth: labels.map(function (_, j) {
            return j === barrier ? 4 : 1;
          }),
        };
      },
    );
    [3, 4].forEach(function (level) {
      datasets.push({
        type: 'line',
        label: 'Grænse ' + String(level).replace('.', ',') + ',0',
        threshold: level,
        data: labels.map(function () {
          return level;
        }),
        borderColor: level === 3 ? '#a00d1e' : '#1e6b30',
        borderDash: [6, 4],
        pointRadius: 0,
        fill: false,
      });
    });
    var figur8 = options({ title: { display: true, text: 'Gennemsnit (1–5)' } }, true);
    figur8.layout = { padding: { right: 28 } };
    new window.Chart(canvas, {
      data: { labels: labels, datasets: datasets },
      options: figur8,
      plugins: [thresholdLabels],
    });
  });

  document.querySelectorAll('table[data-chart="line"]').forEach(function (table) {
    var canvas = canvasFor(table);
    if (!canvas) return;
    var labels = Array.prototype.map.call(table.querySelectorAll('thead th[data-label]'), function (th) {
      return th.textContent.trim();
    });
    var datasets = Array.prototype.map.call(
      table.querySelectorAll('tbody tr[data-series]'),
      function (row, i) {
        return {
          label: row.getAttribute('data-series'),
          data: numbers(row),
          borderColor: palette[i % palette.length],
          backgroundColor: palette[i % palette.length],
          spanGaps: true,
        };
      },
    );
    new window.Chart(canvas, {
      type: 'line',
      data: { labels: labels, datasets: datasets },
      options: options(),
    });
  });
})();
