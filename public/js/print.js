// Shows the print buttons (hidden without JavaScript) and prints on click; the CSP forbids inline handlers.
document.querySelectorAll('button[data-print="true"]').forEach(function (button) {
  button.hidden = false;
  button.addEventListener('click', function () {
    window.print();
  });
});
