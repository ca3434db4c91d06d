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
    canvas.hidden = false;
    return canvas;
  }

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
        data: labels.map(function () {
          return level;
        }),
        borderColor: level === 3 ? '#a00d1e' : '#1e6b30',
        borderDash: [6, 4],
        pointRadius: 0,
        fill: false,
      });
    });
    new window.Chart(canvas, {
      data: { labels: labels, datasets: datasets },
      options: {
        animation: false,
        scales: { y: { min: 1, max: 5, title: { display: true, text: 'Gennemsnit (1–5)' } } },
      },
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
      options: { animation: false, scales: { y: { min: 1, max: 5 } } },
    });
  });
})();
