// Progressive enhancement for the role pages; every page works without it.
// 1. A form with data-live-preview="<button id>" is submitted through that button (into the preview
//    frame) a moment after each change, so the preview follows the answers.
// 2. An upload form with data-progress="<progress id>" shows how much of the file has been sent
//    (htmx reports upload progress as htmx:xhr:progress).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-live-preview]").forEach(function (form) {
      var button = document.getElementById(form.dataset.livePreview);
      var timer = null;
      var shown = false;
      if (!button) { return; }
      button.addEventListener("click", function () { shown = true; });
      var schedule = function () {
        if (!shown) { return; }
        window.clearTimeout(timer);
        timer = window.setTimeout(function () { form.requestSubmit(button); }, 700);
      };
      form.addEventListener("input", schedule);
      form.addEventListener("change", schedule);
    });
  });
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest ? event.target.closest("form[data-progress]") : null;
    var bar = form ? document.getElementById(form.dataset.progress) : null;
    if (bar && event.detail && event.detail.total) {
      bar.value = Math.round((event.detail.loaded * 100) / event.detail.total);
    }
  });
})();
