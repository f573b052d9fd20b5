import { createHash } from 'node:crypto';

// ---------------------------------------------------------------------------------------------
// Constants: stylesheet and the small progressive-enhancement script.

export const STYLE = `
:root{--fg:#1d2330;--muted:#5f6b7a;--line:#d9dee5;--bg:#fff;--soft:#f5f7fa;
--ok:#1a7f37;--ok-bg:#e6f4ea;--bad:#b42318;--bad-bg:#fdecea;--unk:#8a5a00;--unk-bg:#fff4d6;--info:#1f5fa8}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1200px;padding:24px;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
code,pre,.events{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:13px}
pre{background:var(--soft);padding:10px;border-radius:4px;overflow:auto;white-space:pre-wrap;word-break:break-word}
h1{font-size:26px;margin:4px 0 8px}h2{font-size:20px;margin:32px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:20px 0 6px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
a{color:#0b57d0}
.eyebrow{margin:0;color:var(--muted);font-size:13px;text-transform:uppercase;letter-spacing:.08em}
.run{border-left:6px solid var(--line);padding:8px 16px;margin-bottom:16px}
.run.v-holds{border-color:var(--ok)}.run.v-violated{border-color:var(--bad)}.run.v-unknown{border-color:var(--unk)}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:.85em;white-space:nowrap;border:1px solid currentColor}
.badge.v-holds{color:var(--ok);background:var(--ok-bg)}
.badge.v-violated{color:var(--bad);background:var(--bad-bg)}.badge.v-unknown{color:var(--unk);background:var(--unk-bg)}
h1 .badge{font-size:20px;vertical-align:middle}
.warning{color:var(--unk);font-weight:600}
.muted{color:var(--muted)}.info{color:var(--info)}.bad,strong.bad{color:var(--bad)}
.facts{display:flex;flex-wrap:wrap;gap:4px 24px;margin:8px 0}.facts div{display:flex;gap:6px}
.facts dt{color:var(--muted)}.facts dd{margin:0}.facts code{margin-right:4px}
table{border-collapse:collapse;margin:6px 0;font-size:14px}
th,td{text-align:left;padding:4px 10px;border-bottom:1px solid var(--line);vertical-align:top}
thead th{background:var(--soft);font-weight:600;white-space:nowrap}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.scroll{overflow-x:auto}
table.cases{width:100%}table.cases tbody tr:hover{background:var(--soft)}
tr.row-violated td:first-child{box-shadow:inset 4px 0 var(--bad)}tr.row-unknown td:first-child{box-shadow:inset 4px 0 var(--unk)}
table.compact{font-size:13px}
.counts-pair{display:flex;flex-wrap:wrap;gap:0 24px;align-items:flex-start}
.counts td:nth-child(2),.counts thead th:nth-child(2){text-align:right;font-variant-numeric:tabular-nums}
.counts tbody th{font-weight:400}.counts tr.bad{background:var(--bad-bg)}.counts tr.bad th{font-weight:700}
.counts tr.allowed td:last-child{color:var(--muted)}.counts tr.info th,.counts tr.info td{color:var(--info)}
.counts td.bad{background:var(--bad-bg);font-weight:700}
.filter{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin:8px 0;font-size:14px}
.filter button{font:inherit;padding:2px 10px}
body:has(#show-violated:checked) :is(tr.row-holds,tr.row-unknown,section.case-holds,section.case-unknown),
body:has(#show-unknown:checked) :is(tr.row-holds,tr.row-violated,section.case-holds,section.case-violated),
body:has(#show-holds:checked) :is(tr.row-violated,tr.row-unknown,section.case-violated,section.case-unknown){display:none}
section.case{border:1px solid var(--line);border-radius:6px;margin:8px 0}
section.case-violated{border-left:6px solid var(--bad)}section.case-unknown{border-left:6px solid var(--unk)}section.case-holds{border-left:6px solid var(--ok)}
section.case>details>summary{padding:8px 12px;cursor:pointer;display:flex;flex-wrap:wrap;gap:10px;align-items:baseline}
.case-id{font-weight:600;word-break:break-all}
.case-body{padding:0 16px 12px}
.why{font-weight:600;margin:8px 0 4px}
.error{border:1px solid var(--bad);border-radius:4px;padding:6px 10px;margin:8px 0;background:var(--bad-bg)}.error pre{background:#fff;margin:4px 0 0}
details.kind{margin:6px 0;border:1px solid var(--line);border-radius:4px;padding:4px 10px}
details.kind>summary{cursor:pointer}
.tag{font-size:12px;padding:0 6px;border-radius:8px;border:1px solid currentColor}
.tag-forbidden{color:var(--bad)}.tag-info{color:var(--info)}.tag-allowed{color:var(--muted)}
ul.anomalies{list-style:none;padding:0;margin:4px 0}
li.anomaly{border-top:1px dashed var(--line);padding:4px 0}li.anomaly p{margin:2px 0}
ol.events{list-style:none;margin:2px 0 6px;padding:4px 8px;background:var(--soft);border-radius:4px}
ol.events li{white-space:pre-wrap;word-break:break-word}
.ev-i{color:var(--muted)}.ev-t{color:var(--muted)}.ev-k{color:var(--muted)}.ev-type{font-style:italic}
.timeline{position:relative;height:26px;background:var(--soft);border:1px solid var(--line);border-radius:4px;margin:6px 0;overflow:hidden}
.timeline .seg{position:absolute;top:0;bottom:0;font-size:11px;line-height:26px;padding-left:3px;overflow:hidden;white-space:nowrap;border-right:1px solid #fff;color:#102a43}
.ph-setup,.ph-teardown{background:#dfe3e8}.ph-load{background:#b9d4f5}.ph-heal{background:#bfe6c8}
.ph-drain{background:#b8e3e0}.ph-check{background:#d9cdf2}.ph-other{background:#eee}
.timeline .fault{position:absolute;bottom:0;height:7px;background:var(--bad);opacity:.55}
tr.fault-row td{color:#8a4b08}
.timeline .crash{position:absolute;top:0;bottom:0;width:0;border-left:2px solid var(--bad);color:var(--bad);font-weight:700;font-size:12px;line-height:26px;padding-left:2px}
tr.crash-row td{color:var(--bad)}
.plots{display:flex;flex-direction:column;gap:8px;margin:6px 0}
figure.plot{margin:0;max-width:100%;overflow-x:auto}figure.plot svg{max-width:100%;height:auto}
.measurement h4{margin:10px 0 4px;font-size:14px}
.elided{font-style:italic}
ul.plain{margin:0;padding-left:18px}
.history{margin-top:16px}
footer{margin-top:40px;color:var(--muted);font-size:13px}
@media print{
body{max-width:none;padding:0;font-size:11pt}
.no-print{display:none!important}
section.case{break-inside:avoid-page}
.scroll{overflow:visible}table{font-size:9pt}th,td{padding:2px 5px}figure.plot{break-inside:avoid}
a{color:inherit;text-decoration:none}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
`;

// Buttons stay hidden without scripts; `<details>` still works by hand.
export const SCRIPT = `
for (const button of document.querySelectorAll('[data-toggle-all]')) {
  button.hidden = false;
  button.addEventListener('click', () => {
    const open = button.dataset.toggleAll === 'open';
    for (const d of document.querySelectorAll('details.case-details')) d.open = open;
  });
}
function caseByHash(hash) {
  if (hash.length < 2) return null;
  let name = hash.slice(1);
  try { name = decodeURIComponent(name); } catch {}
  const byId = document.getElementById(name);
  if (byId) return byId;
  // A URL may name the case by its id (#memory.queue.work-queue.0) rather than its anchor.
  for (const section of document.querySelectorAll('section[data-case-id]'))
    if (section.dataset.caseId === name) return section;
  return null;
}
function openTarget() {
  const target = caseByHash(location.hash);
  if (!target) return;
  // A verdict filter that hides the case would hide the target: show every case again.
  const all = document.getElementById('show-all');
  if (all && target.closest('section.case') && getComputedStyle(target).display === 'none') all.checked = true;
  const details = target.querySelector('details.case-details') || target.closest('details.case-details');
  if (details) details.open = true;
  if (target.tagName === 'DETAILS') target.open = true;
  target.scrollIntoView();
}
window.addEventListener('hashchange', openTarget);
openTarget();
`;

/** A hash instead of 'unsafe-inline' for scripts: only this exact script may run, and nothing loads. */
export function cspFor(script: string): string {
  const hash = `sha256-${createHash('sha256').update(script).digest('base64')}`;
  return `default-src 'none'; style-src 'unsafe-inline'; script-src '${hash}'; base-uri 'none'; form-action 'none'`;
}

export const CSP = cspFor(SCRIPT);
