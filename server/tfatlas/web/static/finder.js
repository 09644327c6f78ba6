// Progressive enhancement only: the finder is a plain GET form and works without this file.
// With JavaScript, choosing a facet value submits the form at once, so the counts and
// results follow the choice without an extra click.
(function () {
  var form = document.querySelector("form.filters");
  if (!form) return;
  form.querySelectorAll("select[data-facet]").forEach(function (select) {
    select.addEventListener("change", function () {
      // Empty fields would only clutter the shareable URL.
      form.querySelectorAll("select, input[type=search]").forEach(function (field) {
        field.disabled = field.value === "";
      });
      form.submit();
    });
  });
})();
