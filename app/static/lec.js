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
/* The learner form: a national ID is digits (the phone's number pad), a G code starts with a
   letter (the full keyboard). Follows the identifier kind as it is chosen (select2 fires jQuery's
   change event, which a native listener does not hear). */
function lecIdentifierKeypad() {
  var kind = document.getElementById("id_kind"), number = document.getElementById("id_number");
  if (kind && number) {
    number.setAttribute("inputmode", kind.value === "g_code" ? "text" : "numeric");
  }
}
$(document).on("change", "#id_kind", lecIdentifierKeypad);
$(lecIdentifierKeypad);
