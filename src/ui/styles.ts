/**
 * The UI's one stylesheet, served at a URL that carries a hash of its text (`app-<hash>.css`), so
 * it can be cached for a year and still change with a deploy; the CSP then needs only
 * `style-src 'self'` (no inline styles anywhere, SVG included: classes only). Simple, single
 * column below 40rem; wide tables scroll inside their own box down to 320 px.
 */
export const APP_CSS = `
:root{--fg:#1d2430;--muted:#5b6675;--line:#d9dee5;--bg:#fff;--soft:#f4f6f9;--accent:#1f5fbf;
--add:#e6f4ea;--del:#fce8e6;--mod:#fff4d6;--prot:#b3261e;--cur:#1f5fbf}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em;overflow-wrap:anywhere}
header.top{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between;padding:.6rem 1rem;border-bottom:1px solid var(--line);background:var(--soft)}
header.top .brand{font-weight:700;text-decoration:none;color:var(--fg)}
header.top .links{display:flex;gap:.8rem;margin-right:auto;font-size:.92em}
header.top .who{color:var(--muted);font-size:.9em;display:flex;gap:.6rem;align-items:center;flex-wrap:wrap}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;margin:.2rem 0 .6rem;overflow-wrap:anywhere}
h2{font-size:1.1rem;margin:1.6rem 0 .5rem;border-bottom:1px solid var(--line);padding-bottom:.2rem}
h3{font-size:1rem;margin:1rem 0 .4rem}
.crumbs{font-size:.9em;color:var(--muted);overflow-wrap:anywhere}
.muted{color:var(--muted)}
.note{background:var(--soft);border-left:3px solid var(--line);padding:.4rem .7rem;margin:.6rem 0}
.error{border-left-color:var(--prot)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--soft);font-weight:600;white-space:nowrap}
table.kv th{width:1%}
td.num,th.num{text-align:right;white-space:nowrap}
tr.changed td{background:var(--mod)}
.chip{display:inline-block;padding:0 .45rem;margin:0 .2rem .15rem 0;border:1px solid var(--line);border-radius:1rem;font-size:.82em;background:var(--soft);white-space:nowrap;text-decoration:none;color:var(--fg)}
.chip.protected{border-color:var(--prot);color:var(--prot);font-weight:600}
.chip.changed{background:var(--mod)}
.chip.added{background:var(--add)}
.chip.removed{background:var(--del)}
dl.facts{display:grid;grid-template-columns:minmax(0,max-content) minmax(0,1fr);gap:.25rem 1rem;margin:.5rem 0}
dl.facts dt{color:var(--muted);overflow-wrap:anywhere}
dl.facts dd{margin:0;overflow-wrap:anywhere}
form.inline{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:.5rem 0}
input[type=text],input[type=search],input[type=password]{font:inherit;padding:.35rem .5rem;border:1px solid var(--line);border-radius:4px;min-width:0;flex:1 1 12rem;max-width:32rem}
button{font:inherit;padding:.35rem .8rem;border:1px solid var(--accent);background:var(--accent);color:#fff;border-radius:4px;cursor:pointer}
button.link{background:none;border:none;color:var(--accent);padding:0;text-decoration:underline}
.pager{display:flex;gap:1rem;margin:.8rem 0}
.graph{overflow:auto;border:1px solid var(--line);border-radius:6px;background:#fbfcfe;max-height:80vh}
svg.lineage{display:block}
svg.lineage .edge{fill:none;stroke:#8a94a3;stroke-width:1.4}
svg.lineage .arrowhead{fill:#8a94a3}
svg.lineage .edge-label{font:11px ui-monospace,Menlo,Consolas,monospace;fill:var(--muted);paint-order:stroke;stroke:#fbfcfe;stroke-width:4px;stroke-linejoin:round}
svg.lineage .node rect{fill:#fff;stroke:#9aa5b4;stroke-width:1.2}
svg.lineage .node.dataset rect{fill:#eef6ff}
svg.lineage .node.model rect{fill:#f3efff}
svg.lineage .node.protected rect{stroke:var(--prot);stroke-width:2.4}
svg.lineage .node.current rect{stroke:var(--cur);stroke-width:3}
svg.lineage .node text{font:12px ui-monospace,Menlo,Consolas,monospace;fill:var(--fg)}
svg.lineage .node .sub{fill:var(--muted);font-size:11px}
svg.lineage .node .prot{fill:var(--prot);font-weight:700}
svg.lineage a:hover rect,svg.lineage a:focus rect{stroke:var(--accent)}
.legend{font-size:.85em;color:var(--muted);margin:.3rem 0}
.pillars{display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,minmax(min(100%,21rem),1fr));align-items:start}
.pillar{min-width:0}
.pillar{border:1px solid var(--line);border-radius:6px;padding:.2rem .8rem .8rem}
.pillar.changed{border-color:#e0b000;box-shadow:inset 4px 0 0 #e0b000}
.sides{display:grid;grid-template-columns:1fr 1fr;gap:.8rem}
.sides>div{min-width:0}
ul.plain{list-style:none;padding:0;margin:.3rem 0}
ul.plain li{padding:.1rem 0;overflow-wrap:anywhere}
section.op{margin:1.2rem 0;padding-top:.3rem;border-top:1px dashed var(--line)}
section.op h3{overflow-wrap:anywhere}
.login{max-width:28rem}
.login input{width:100%;max-width:none}
@media (max-width:40rem){main{padding:.6rem}.sides{grid-template-columns:1fr}h1{font-size:1.2rem}}
.table-file h3{margin-top:1rem}
.schema-changes{margin:.2rem 0 .6rem;padding-left:1.2rem}
svg.hist{display:block}
svg.hist .bar-from{fill:#9aa5b1}
svg.hist .bar-to{fill:var(--accent)}
`;

/** FNV-1a of the text: a cache-busting name, not a security hash (the CSP allows 'self'). */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

export const CSS_FILE = `app-${fnv1a(APP_CSS)}.css`;
export const CSS_URL = `/ui/assets/${CSS_FILE}`;
