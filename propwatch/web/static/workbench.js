// The workbench's small scripts: layer toggles on a story page, progress of an analysis.
// No data leaves the page; nothing is loaded from elsewhere (the CSP allows only this server).
(function () {
  Array.prototype.forEach.call(document.querySelectorAll("input[data-layer-toggle]"), function (box) {
    var body = document.querySelector(".body");
    var apply = function () {
      if (body) body.classList.toggle("layers-off-" + box.dataset.layerToggle, !box.checked);
    };
    box.addEventListener("change", apply);
    apply();
  });
  var job = document.querySelector("[data-job]");
  if (job) {
    var state = job.querySelector(".job-state");
    var bar = job.querySelector("progress");
    var poll = function () {
      fetch(job.dataset.job, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (j) {
          if (j.error) { state.textContent = j.error.message; return; }
          state.textContent = j.state + (j.message ? ": " + j.message : "");
          if (bar && j.total) { bar.max = j.total; bar.value = j.done; }
          if (j.state === "done" && j.result_href) { window.location.assign(j.result_href); return; }
          if (j.state === "queued" || j.state === "running") window.setTimeout(poll, 700);
        })
        .catch(function () { window.setTimeout(poll, 2000); });
    };
    poll();
  }
})();
