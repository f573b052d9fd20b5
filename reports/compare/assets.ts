/** The compare page's own stylesheet additions and script (expand/collapse, open the hash target). */
import { cspFor } from '../html-assets.ts';

export const COMPARE_STYLE = `
table.matrix{font-size:13px;border-collapse:separate;border-spacing:0}
table.matrix th,table.matrix td{border:1px solid var(--line);padding:3px 6px;text-align:center;white-space:nowrap}
table.matrix th.setup{text-align:left}
table.matrix tr.driver th{background:var(--soft);text-align:left;font-size:14px}
td.cell-held{background:var(--ok-bg);color:var(--ok)}td.cell-violated{background:var(--bad-bg);color:var(--bad);font-weight:600}
td.cell-unknown{background:var(--unk-bg);color:var(--unk)}td.cell-not-applicable{color:var(--muted);background:#fafafa}
td.cell a{color:inherit}td.cell .more a{font-weight:400;font-size:11px;margin-left:3px}
.reason{display:block;font-size:11px;font-weight:400;max-width:220px;white-space:normal;color:var(--unk)}
body:has(#rows-violated:checked) tr.setup-row:not(.has-violated),
body:has(#rows-unknown:checked) tr.setup-row:not(.has-unknown),
body:has(#rows-held:checked) tr.setup-row:not(.all-held){display:none}
details.setup{border:1px solid var(--line);border-radius:6px;margin:6px 0;padding:0 12px}
details.setup>summary{cursor:pointer;padding:6px 0;font-weight:600}
`;

export const COMPARE_SCRIPT = `
for (const button of document.querySelectorAll('[data-toggle-all]')) {
  button.hidden = false;
  button.addEventListener('click', () => {
    const open = button.dataset.toggleAll === 'open';
    for (const d of document.querySelectorAll('details.setup')) d.open = open;
  });
}
function openTarget() {
  if (location.hash.length < 2) return;
  let name = location.hash.slice(1);
  try { name = decodeURIComponent(name); } catch {}
  const target = document.getElementById(name);
  if (!target) return;
  if (target.tagName === 'DETAILS') target.open = true;
  const details = target.closest('details');
  if (details) details.open = true;
  target.scrollIntoView();
}
window.addEventListener('hashchange', openTarget);
openTarget();
`;

export const COMPARE_CSP = cspFor(COMPARE_SCRIPT);
