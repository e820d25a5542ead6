/* LEC's own behaviour on the pages, from a file: the Content-Security-Policy (app/headers.py)
   refuses inline event handlers and javascript: links. */
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-lec-back]")) {  /* "Back" on forms reached from several pages */
    event.preventDefault();
    history.back();
  }
});
document.addEventListener("change", function (event) {
  if (event.target.id === "carry-all") {  /* rollover: one box ticks every learner carried over */
    document.querySelectorAll("#rollover-carried input[name=carry]").forEach(function (box) {
      box.checked = event.target.checked;
    });
  }
});
