// jupyterquiz builds its numeric answer boxes without a label (axe-core: "label", critical): name each
// box after its question, for screen readers. Loaded by _ext/accessibility.py.
(function () {
  function label() {
    document.querySelectorAll("input.Input-text:not([aria-label])").forEach(function (input) {
      var quiz = input.closest("[id^='OuterquizQn']") || input.closest(".Quiz");
      var question = quiz && quiz.querySelector("[id^='quizQn']");
      var text = question ? question.textContent.trim() : "";
      input.setAttribute("aria-label", text ? "Your answer to: " + text.slice(0, 200) : "Your answer");
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", label);
  else label();
  window.addEventListener("load", label);
})();
