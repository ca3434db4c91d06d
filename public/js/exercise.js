// Exercise shortcuts: pressing an option's KSD shortcut (e.g. Alt+O) inside the form selects that option.
// Progressive enhancement only; the radio group and Enter work without it.
(function () {
  function keyName(event) {
    var code = event.code || '';
    if (/^Key[A-Z]$/.test(code)) return code.slice(3);
    if (/^Digit\d$/.test(code)) return code.slice(5);
    if (event.key === 'Escape') return 'Esc';
    if (/^F\d{1,2}$/.test(event.key)) return event.key;
    return (event.key || '').toUpperCase();
  }
  function comboOf(event) {
    var parts = [];
    if (event.ctrlKey) parts.push('CTRL');
    if (event.altKey) parts.push('ALT');
    if (event.shiftKey) parts.push('SHIFT');
    parts.push(keyName(event).toUpperCase());
    return parts.join('+');
  }
  document.querySelectorAll('form[data-shortcuts="true"]').forEach(function (form) {
    var options = Array.prototype.slice.call(form.querySelectorAll('input[data-shortcut]'));
    form.addEventListener('keydown', function (event) {
      if (!event.altKey && !event.ctrlKey && event.key !== 'Escape' && !/^F\d{1,2}$/.test(event.key)) return;
      var combo = comboOf(event);
      var match = options.find(function (input) {
        return input.getAttribute('data-shortcut').toUpperCase().replace(/\s+/g, '') === combo;
      });
      if (!match) return;
      event.preventDefault();
      match.checked = true;
      match.focus();
    });
  });
  var feedback = document.getElementById('feedback');
  if (feedback && feedback.getAttribute('role') === 'alert') {
    var first = document.querySelector('form[data-shortcuts="true"] input[type="radio"]');
    if (first) first.focus();
  }
})();
