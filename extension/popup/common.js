// What the popup's views share: the toast line, a problem shown with the
// command that fixes it, and copying to the clipboard.
const { h, $ } = globalThis.FactorCat.dom;

export function toast(text) {
  $('#toast').textContent = text;
}

// Copies `text`; says whether it could.
export async function copy(text, message) {
  try {
    await navigator.clipboard.writeText(text);
    toast(message);
    return true;
  } catch {
    toast('Could not copy: select the text and copy it by hand.');
    return false;
  }
}

// A problem as nodes: title, sentence, and the command to run with a
// button that copies it.
export function problemNodes(error) {
  return [
    h('h3', {}, error.title ?? 'Problem'),
    h('p', {}, error.message ?? ''),
    error.fix ? h('code', {}, error.fix) : null,
    error.fix ? h('button', { type: 'button', class: 'copy', onclick: () => copy(error.fix, 'Command copied') }, 'Copy command') : null,
  ];
}

// The problem box above the token list.
export function showProblem(error) {
  const box = $('#problem');
  box.replaceChildren(...problemNodes(error));
  box.dataset.code = error.code ?? '';
  box.hidden = false;
}
