// Options: switches, saved as soon as they change.
const { send } = globalThis.FactorCat.ext;
const KEYS = ['autofill', 'autoSubmit', 'chooseMfaType', 'clearClipboard'];

async function start() {
  const r = await send('options-get');
  if (!r.ok) return;
  for (const k of KEYS) {
    const box = document.getElementById(k);
    box.checked = r.options[k];
    box.addEventListener('change', async () => {
      const saved = await send('options-set', { options: { [k]: box.checked } });
      document.getElementById('saved').textContent = saved.ok ? 'Saved.' : 'Could not save.';
    });
  }
  document.body.dataset.ready = 'yes';
}

start();
