// Filters the scorecard and the checks by verdict and severity. Without JavaScript the
// filter form stays hidden and everything is shown.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  function wanted(kind) {
    var on = {};
    var boxes = form.querySelectorAll("input[name=" + kind + "]");
    for (var i = 0; i < boxes.length; i++) { on[boxes[i].value] = boxes[i].checked; }
    return on;
  }
  function apply() {
    var verdicts = wanted("verdict"), severities = wanted("severity");
    var items = document.querySelectorAll("[data-verdict][data-severity]");
    var shown = 0;
    for (var i = 0; i < items.length; i++) {
      var el = items[i];
      var show = verdicts[el.getAttribute("data-verdict")] !== false &&
        severities[el.getAttribute("data-severity")] !== false;
      if (show) { el.removeAttribute("hidden"); el.removeAttribute("data-filtered"); }
      else { el.setAttribute("hidden", ""); el.setAttribute("data-filtered", ""); }
      if (show && el.tagName === "SECTION") { shown++; }
    }
    var status = document.getElementById("filter-status");
    if (status) { status.textContent = shown + " checks shown"; }
  }
  form.addEventListener("change", apply);
  form.removeAttribute("hidden");
  // Printing shows everything, unfolded.
  window.addEventListener("beforeprint", function () {
    var all = document.querySelectorAll("details");
    for (var i = 0; i < all.length; i++) { all[i].setAttribute("open", ""); }
  });
  apply();
  document.documentElement.setAttribute("data-js", "ready");
})();
