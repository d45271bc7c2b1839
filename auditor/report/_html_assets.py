"""Inline CSS and script for ``report.html``.

Kept apart from the renderer so that the markup logic stays readable. Both are
embedded in the page: the report must open offline, from an e-mail attachment or
an evidence archive, years later, with no external fonts, scripts or images.
The script only filters and expands what is already on the page.
"""

CSS = """
:root{--fg:#1d2433;--muted:#5b6475;--line:#dfe3ea;--bg:#f6f7f9;--card:#fff;
--pass:#1f7a3f;--pass-bg:#e3f4e8;--fail:#b42318;--fail-bg:#fde8e6;--error:#a15c00;--error-bg:#fff1d6;
--waived:#6941c6;--waived-bg:#efe9fb;--manual:#0b6b8a;--manual-bg:#e0f2f8;--na:#5b6475;--na-bg:#eceef2;
--crit:#7a0d0d;--high:#b42318;--med:#a15c00;--low:#175cd3;--info:#5b6475}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);
font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:24px;margin:0 0 4px;font-weight:650;letter-spacing:-.01em}
h2{font-size:18px;margin:32px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line);font-weight:620}
h3{font-size:15px;margin:16px 0 8px}
.sub{color:var(--muted);margin:0 0 20px}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
pre{background:#f3f4f7;border:1px solid var(--line);border-radius:6px;padding:10px 12px;overflow:auto;
white-space:pre-wrap;word-break:break-word;margin:6px 0}
.verdict{display:flex;align-items:center;gap:16px;border-radius:10px;padding:16px 20px;margin:8px 0 20px;
border:1px solid var(--line);background:var(--card)}
.verdict .big{font-size:22px;font-weight:700;letter-spacing:.02em}
.verdict.passed{border-left:8px solid var(--pass)}.verdict.passed .big{color:var(--pass)}
.verdict.failed{border-left:8px solid var(--fail)}.verdict.failed .big{color:var(--fail)}
.verdict.incomplete{border-left:8px solid var(--error)}.verdict.incomplete .big{color:var(--error)}
.cards{display:grid;grid-template-columns:repeat(6,1fr);gap:10px;margin-bottom:8px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.card .n{font-size:24px;font-weight:700}.card .l{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.card.fail .n{color:var(--fail)}.card.error .n{color:var(--error)}.card.pass .n{color:var(--pass)}
.card.waived .n{color:var(--waived)}.card.manual .n{color:var(--manual)}.card.not_applicable .n{color:var(--na)}
table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);border-radius:8px;overflow:hidden}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:break-word}
td.nowrap{white-space:nowrap}td.wrap{word-break:break-all}
th{background:#f0f2f5;font-weight:600;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
tr:last-child td{border-bottom:none}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.meta td:first-child{width:200px;color:var(--muted)}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:11.5px;font-weight:650;
letter-spacing:.03em;white-space:nowrap;border:1px solid transparent}
.s-pass{color:var(--pass);background:var(--pass-bg)}.s-fail{color:var(--fail);background:var(--fail-bg)}
.s-error{color:var(--error);background:var(--error-bg)}.s-waived{color:var(--waived);background:var(--waived-bg)}
.s-manual{color:var(--manual);background:var(--manual-bg)}.s-not_applicable{color:var(--na);background:var(--na-bg)}
.s-ok{color:var(--pass);background:var(--pass-bg)}.s-other{color:var(--error);background:var(--error-bg)}
.sev{font-size:11.5px;font-weight:650;text-transform:uppercase;letter-spacing:.04em}
.sev-critical{color:var(--crit)}.sev-high{color:var(--high)}.sev-medium{color:var(--med)}
.sev-low{color:var(--low)}.sev-info{color:var(--info)}
.warn{background:var(--error-bg);border:1px solid #f3d08a;border-radius:8px;padding:10px 14px;margin:12px 0}
.toolbar{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0 14px}
.toolbar label{background:var(--card);border:1px solid var(--line);border-radius:999px;padding:3px 10px;cursor:pointer;font-size:12.5px}
.toolbar input[type=search]{flex:1;min-width:220px;padding:6px 10px;border:1px solid var(--line);border-radius:6px;font:inherit}
.result{background:var(--card);border:1px solid var(--line);border-radius:8px;margin:8px 0;border-left:5px solid var(--na)}
.result.st-fail{border-left-color:var(--fail)}.result.st-error{border-left-color:var(--error)}
.result.st-pass{border-left-color:var(--pass)}.result.st-waived{border-left-color:var(--waived)}
.result.st-manual{border-left-color:var(--manual)}
.result>summary{list-style:none;cursor:pointer;padding:10px 14px;display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}
.result>summary::-webkit-details-marker{display:none}
.result>summary .pid{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;color:var(--muted)}
.result>summary .title{font-weight:600;flex:1;min-width:300px}
.result .body{padding:0 16px 14px;border-top:1px solid var(--line)}
.result .msg{margin:10px 0;font-weight:500}
.kv{display:grid;grid-template-columns:140px 1fr;gap:4px 14px;margin:10px 0}
.kv dt{color:var(--muted)}.kv dd{margin:0}
.fw{display:inline-block;margin:0 6px 2px 0;padding:0 6px;border:1px solid var(--line);border-radius:4px;font-size:12px}
details.ev>summary{cursor:pointer;color:var(--muted);font-size:12.5px}
.muted{color:var(--muted)}
footer{margin-top:40px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:12px}
.hidden{display:none!important}
.print-only{display:none}
.small{font-size:12px;color:var(--muted)}
.badge.new{color:#fff;background:var(--fail);margin-left:6px}
.fixfirst td .pid{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px;font-weight:600;white-space:nowrap}
.fwids .fw{white-space:nowrap}
.scroll{overflow-x:auto;max-width:100%}
.hash,td.subject{overflow-wrap:anywhere;word-break:break-word}
ul.items{margin:4px 0 4px 18px;padding:0}ul.items li{margin:1px 0}
.msg p{margin:4px 0}.kv dd p{margin:0 0 6px}.kv dd ul{margin:0 0 6px 18px;padding:0}
code{background:#f0f2f5;border-radius:3px;padding:0 3px}
p.fix{font-weight:600;margin:4px 0}
table.evidence{margin:6px 0;table-layout:fixed;width:100%}
table.evidence td,table.evidence th,table.evidence .mono{overflow-wrap:anywhere;word-break:break-word}table.evidence th{width:30%;text-transform:none;letter-spacing:0;font-size:12.5px}
details.raw>summary{cursor:pointer;color:var(--muted);font-size:12px}
details.fold{margin-top:24px}details.fold>summary{cursor:pointer;list-style:none}
details.fold>summary h2{display:inline-block;margin:0;border:none}
details.fold>summary::-webkit-details-marker{display:none}
details.fold>summary::before{content:"▸ ";color:var(--muted)}details.fold[open]>summary::before{content:"▾ "}
.kv dd,.kv dt{min-width:0;overflow-wrap:anywhere}.result .body,.msg{min-width:0;overflow-wrap:anywhere}
section.exec{display:flex;flex-direction:column}section.exec>section.proof{order:1}
section.proof{margin:0 0 8px}table.proof{table-layout:fixed}
table.proof th{width:230px;text-transform:none;letter-spacing:0;font-size:12.5px}
table.proof td{overflow-wrap:anywhere;word-break:break-all}section.proof p{margin:4px 0}
@media screen and (max-width:800px){.cards{grid-template-columns:repeat(3,1fr)}.kv{grid-template-columns:minmax(0,1fr)}
.fixfirst table,.fixfirst tbody,.fixfirst tr,.fixfirst td{display:block;width:100%}
.fixfirst tr:first-child{display:none}.fixfirst tr{border-bottom:1px solid var(--line);padding:4px 0}
.fixfirst td{border:none;padding:2px 8px}.fixfirst td.num{text-align:left}
.fixfirst td.num:not(:empty)::before{content:"Subjects: "}
main{padding:14px 12px 32px}.result>summary .title{min-width:0;flex-basis:100%}
.verdict{flex-direction:column;align-items:flex-start}th,td{padding:6px}}
@media (max-width:420px){.cards{grid-template-columns:repeat(2,1fr)}h1{font-size:20px}}
@media print{@page{size:A4;margin:12mm}
body{background:#fff;font-size:8.5px;line-height:1.28}main{max-width:none;padding:0}
h1{font-size:18px}h2{font-size:13px;margin:10px 0 6px;padding-bottom:2px}.sub{margin:0 0 6px}
code,pre,.mono{font-size:8.5px}
.toolbar,details.fold,.coverage details,footer,details.raw{display:none}
.result[data-status=pass],.result[data-status=not_applicable],.result[data-status=manual],
.result[data-status=waived]{display:none}.fixfirst .small{display:none}
.verdict{padding:6px 12px;margin:4px 0 6px}.verdict .big{font-size:16px}
.cards{gap:6px;margin-bottom:6px}.card{padding:4px 8px}.card .n{font-size:16px}.card .l{font-size:9px}
.card,.verdict,tr{break-inside:avoid;box-shadow:none}
table.proof th{width:30%;font-size:9px;padding:2px 6px}table.proof td{font-size:9px;padding:2px 6px}
section.proof p{font-size:8.5px}section.exec>section.proof{order:0}
.result{break-inside:auto;margin:3px 0}.result>summary{padding:3px 8px;gap:6px}.result .body{padding:0 8px 4px}
.result>summary .pid{font-size:8.5px}.result>summary .title{min-width:0}
div.v{max-height:none;overflow:visible}table.evidence{font-size:8px;margin:2px 0}
table.evidence th{width:20%;padding:1px 4px;font-size:8px}table.evidence td{padding:1px 4px}
details.ev>summary{display:none}ul.items{margin:1px 0 1px 12px;font-size:8.5px}ul.items li{margin:0}
.result .msg{margin:3px 0}h3{margin:4px 0 2px;font-size:10px}
table.subjects td.subject{width:28%}table.evidence .mono{font-size:8px}
table.evidence td{overflow-wrap:anywhere}
table.subjects tr:nth-child(n+5){display:none}
table.subjects table.evidence{display:none}
.result:has(table.subjects) details.ev:not(table.subjects details.ev){display:none}
.print-only{display:block!important}
.fixfirst .small,.fixfirst .fwids{font-size:8.5px}.scroll{overflow:visible}
.fixfirst table{table-layout:fixed}.fixfirst td .pid{font-size:8.5px}
.fixfirst th:nth-child(1){width:9%}.fixfirst th:nth-child(2){width:18%}.fixfirst th:nth-child(3){width:7%}
.fixfirst th:nth-child(4){width:31%}.fixfirst th:nth-child(5){width:25%}.fixfirst th:nth-child(6){width:10%}
.fixfirst td.who{overflow-wrap:normal;font-size:8.5px}.fixfirst td.who .nm{white-space:nowrap}.fixfirst .portal-line{display:block;font-size:8.5px}
.fixfirst .fwids .fw{display:inline;border:none;padding:0;margin:0;white-space:normal}
.fixfirst .fwids .fw:not(:last-child)::after{content:", "}.fixfirst td{overflow-wrap:anywhere}
.fixfirst th{font-size:7.5px;letter-spacing:0}.sev{white-space:nowrap;font-size:8px}th,td{padding:2px 5px}
.badge{font-size:8px;padding:0 5px}
h2,h3{break-after:avoid}.result>summary{break-after:avoid}
.result .body{display:block}.result .body .kv{display:none}
details.ev:not(.bad){display:none}
a{color:inherit;text-decoration:none}pre{white-space:pre-wrap;max-height:none}
.result pre{display:none}.result h3:has(+p.fix){display:none}p.fix{margin:2px 0}p.fix::before{content:"Fix: "}
.proof .print-only{display:block!important}tr.print-only{display:table-row!important}
tr.unmet td{font-size:7.5px;line-height:1.25;color:var(--fg)}}
"""

SCRIPT = """
(function(){
var q=document.getElementById('q'),boxes=document.querySelectorAll('.toolbar input[data-status]');
function apply(){var want={},t=(q.value||'').toLowerCase();
boxes.forEach(function(b){want[b.getAttribute('data-status')]=b.checked;});
document.querySelectorAll('.result').forEach(function(r){
var ok=want[r.getAttribute('data-status')]!==false&&(!t||r.textContent.toLowerCase().indexOf(t)>=0);
r.classList.toggle('hidden',!ok);});}
q.addEventListener('input',apply);boxes.forEach(function(b){b.addEventListener('change',apply);});
document.getElementById('expand').addEventListener('click',function(){
document.querySelectorAll('details').forEach(function(d){d.open=true;});});
document.getElementById('collapse').addEventListener('click',function(){
document.querySelectorAll('details.result').forEach(function(d){d.open=false;});});
window.addEventListener('beforeprint',function(){
document.querySelectorAll('details.result.st-fail,details.result.st-error,details.ev.bad').forEach(function(d){d.open=true;});});
})();
"""
