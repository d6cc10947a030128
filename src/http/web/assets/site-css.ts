/**
 * The self-service pages' only style sheet, served from `/assets/site.css` (the Content-Security-Policy allows
 * no inline style). The brand colour is the tenant's; contrast is checked against white text and backgrounds.
 * Below 36rem each row of a `table.data` becomes a card, each cell labelled by its column header (`data-label`).
 */
export function siteCss(brandColor: string): string {
  return `:root{--brand:${brandColor};--text:#1b1b1b;--muted:#505050;--error:#a4262c;--border:#8a8886}
*{box-sizing:border-box}
html{font-family:"Segoe UI",system-ui,-apple-system,sans-serif;color:var(--text);background:#f2f2f2;line-height:1.5}
body{margin:0}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.skip:focus{left:.5rem}
header.brand{background:var(--brand);color:#fff;padding:.75rem 1rem;display:flex;align-items:center;gap:.75rem}
header.brand img{max-height:2rem}
header.brand .tenant{font-weight:600}
main{max-width:34rem;margin:1.5rem auto;background:#fff;padding:1.5rem 1.75rem;border-radius:4px;box-shadow:0 2px 6px rgba(0,0,0,.15)}
h1{font-size:1.5rem;font-weight:600;margin:0 0 .5rem}
h2{font-size:1.15rem;font-weight:600}
p.step{color:var(--muted);margin:0 0 1rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
.hint{color:var(--muted);font-size:.9rem;margin:.1rem 0 .25rem}
input[type=text],input[type=email],input[type=password],input[type=tel],input:not([type]){width:100%;font-size:1rem;padding:.5rem;border:1px solid var(--border);border-radius:2px}
input:focus,button:focus,a:focus,summary:focus{outline:3px solid #000;outline-offset:2px}
fieldset{border:0;padding:0;margin:0 0 1rem}
legend{font-weight:600;margin-bottom:.5rem}
.choice{display:flex;align-items:flex-start;gap:.5rem;margin:.4rem 0}
.choice input{margin-top:.35rem}
.choice label{font-weight:400;margin:0}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.25rem;align-items:center}
button{font-size:1rem;padding:.5rem 1.5rem;border-radius:2px;border:1px solid var(--brand);background:var(--brand);color:#fff;cursor:pointer}
button.secondary{background:#fff;color:var(--text);border-color:var(--border)}
button.link{background:none;border:0;color:var(--brand);padding:0;text-decoration:underline}
.errors{border-left:4px solid var(--error);padding:.25rem .75rem;margin:0 0 1rem;color:var(--error)}
.errors h2{font-size:1rem;margin:.25rem 0}
.errors ul{margin:.25rem 0;padding-left:1.25rem}
.field-error{color:var(--error);font-weight:600;margin:.25rem 0 .25rem}
.status{border-left:4px solid var(--brand);padding:.25rem .75rem;margin:0 0 1rem}
.captcha{display:block;border:1px solid var(--border);background:#fff;max-width:100%;height:auto}
table.methods{width:100%;border-collapse:collapse;margin:.5rem 0 1rem}
table.methods th,table.methods td{text-align:left;padding:.5rem;border-bottom:1px solid #e1dfdd;vertical-align:top}
footer{max-width:34rem;margin:0 auto 2rem;padding:0 1rem;color:var(--muted);font-size:.9rem}
footer a{color:var(--muted)}
main.wide,footer.wide{max-width:72rem}
nav.admin{background:#fff;border-bottom:1px solid #e1dfdd;padding:.25rem 1rem;display:flex;flex-wrap:wrap;align-items:center;gap:.25rem 1rem}
nav.admin ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:0;padding:0}
nav.admin a{color:var(--text);text-decoration:none;padding:.25rem 0;display:inline-block}
nav.admin a[aria-current=page]{font-weight:600;border-bottom:3px solid var(--brand)}
nav.admin .who{margin-left:auto;display:flex;gap:.75rem;align-items:center;color:var(--muted)}
table.data{width:100%;border-collapse:collapse;margin:.5rem 0 1rem}
table.data th,table.data td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #e1dfdd;vertical-align:top}
table.data caption{text-align:left;font-weight:600;padding:.25rem 0}
table.data .num{text-align:right;font-variant-numeric:tabular-nums}
dl.fields{display:grid;grid-template-columns:minmax(10rem,auto) 1fr;gap:.25rem 1rem}
dl.fields dt{font-weight:600}
dl.fields dd{margin:0}
.usable{color:#0b6a0b;font-weight:600}
.unusable{color:var(--error);font-weight:600}
.warning{border-left:4px solid #8a5a00;padding:.25rem .75rem;margin:0 0 1rem;background:#fff8e5}
.filters{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:flex-end}
.filters label{margin:.25rem 0}
.filters select,select{font-size:1rem;padding:.4rem;border:1px solid var(--border);border-radius:2px;max-width:100%}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));gap:1rem;margin:1rem 0}
.card{border:1px solid #e1dfdd;border-radius:4px;padding:.75rem}
.card .number{font-size:1.75rem;font-weight:600;display:block}
svg.chart{max-width:100%;height:auto;border:1px solid #e1dfdd}
.secret{font-family:monospace;font-size:1.1rem;background:#f2f2f2;padding:.25rem .5rem}
form.inline{display:inline}
input[readonly]{background:#f2f2f2}
textarea,input[type=number],input[type=date]{width:100%;font-size:1rem;padding:.5rem;border:1px solid var(--border);border-radius:2px;font-family:inherit}
input[type=number],input[type=date]{max-width:12rem}
pre.message{white-space:pre-wrap;word-break:break-word;margin:.25rem 0;font-size:.9rem}
input[type=file]{display:block;margin:.25rem 0 1rem;font-size:1rem;max-width:100%}
@media (max-width:36rem){main{margin:0;border-radius:0;box-shadow:none;padding:1rem}nav.admin .who{margin-left:0}
table.data,table.data tbody,table.data tr,table.data td,table.data tbody th{display:block;width:100%}
table.data thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
table.data tbody tr{border:1px solid #e1dfdd;border-radius:4px;padding:.25rem .6rem;margin:0 0 .6rem}
table.data td,table.data tbody th,table.data .num{border:0;padding:.2rem 0;text-align:left;overflow-wrap:anywhere}
table.data td::before,table.data tbody th::before{content:attr(data-label);display:block;font-size:.8rem;font-weight:600;color:var(--muted)}
table.data td:empty{display:none}}
`;
}
