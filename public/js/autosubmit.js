// Submits a form marked data-autosubmit (the SAML POST binding); the CSP forbids inline script.
document.querySelectorAll('form[data-autosubmit="true"]').forEach(function (form) {
  form.submit();
});
