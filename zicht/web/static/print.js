// The receipt's print button (progressive enhancement: without JavaScript the page says to
// use the browser's print command, and the button stays hidden).
document.querySelectorAll("[data-zicht-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
  var hint = button.parentElement.querySelector("[data-zicht-print-hint]");
  if (hint) { hint.hidden = true; }
});
