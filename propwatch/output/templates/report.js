// Filter and sort the stories table; the technique threshold of a story page; no data leaves the page.
(function () {
  var range = document.getElementById("tech-threshold");
  if (range) {
    var shown = document.getElementById("tech-threshold-value");
    var apply = function () {
      var v = parseFloat(range.value);
      if (shown) shown.textContent = v.toFixed(2);
      Array.prototype.forEach.call(document.querySelectorAll("mark.tech[data-score]"), function (m) {
        m.classList.toggle("off", parseFloat(m.dataset.score) < v);
      });
    };
    range.addEventListener("input", apply);
    apply();
  }
  var input = document.getElementById("filter");
  var table = document.getElementById("stories");
  if (input && table) {
    input.addEventListener("input", function () {
      var q = input.value.toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        row.style.display = row.textContent.toLowerCase().indexOf(q) >= 0 ? "" : "none";
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable th"), function (th, col) {
    th.addEventListener("click", function () {
      var body = th.closest("table").tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var dir = th.dataset.dir === "asc" ? -1 : 1;
      th.dataset.dir = dir === 1 ? "asc" : "desc";
      rows.sort(function (a, b) {
        var x = a.cells[col].textContent.trim(), y = b.cells[col].textContent.trim();
        var nx = parseFloat(x), ny = parseFloat(y);
        if (!isNaN(nx) && !isNaN(ny)) return (nx - ny) * dir;
        return x.localeCompare(y) * dir;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
})();
