using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Pdp.Evidence.Rendering;

/// <summary>
/// The HTML form: one self-contained file — styles inline, charts as inline SVG, no script, no external reference —
/// that a browser prints to PDF as it shows it. Every figure cell and chart mark carries <c>data-json</c>, the JSON
/// pointer of the value it shows in the JSON form.
/// </summary>
public static class EvidenceHtml
{
    private const string Style = """
        :root { color-scheme: light; }
        body { font: 13px/1.45 system-ui, "DejaVu Sans", Arial, sans-serif; color: #111; margin: 24px auto; max-width: 1000px; padding: 0 16px; }
        h1 { font-size: 20px; margin: 0 0 12px; } h2 { font-size: 15px; margin: 22px 0 4px; }
        p.note { color: #555; margin: 0 0 6px; }
        table { border-collapse: collapse; width: 100%; margin-bottom: 4px; }
        th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: right; vertical-align: top; }
        th:first-child, td:first-child { text-align: left; } th { background: #f2f2f2; }
        table.facts td, table.facts th { text-align: left; } td.hash { font-family: "DejaVu Sans Mono", monospace; word-break: break-all; }
        .verified { color: #1b5e20; font-weight: bold; } .unverified { color: #b71c1c; font-weight: bold; }
        .banner { border: 2px solid #b71c1c; background: #ffebee; padding: 8px; margin-bottom: 12px; }
        svg.chart { width: 100%; height: auto; font-size: 11px; fill: #333; }
        .charts { display: grid; grid-template-columns: 1fr; gap: 8px; }
        .signoff { border: 2px solid #333; padding: 10px 14px; margin-top: 24px; page-break-inside: avoid; }
        .sigline { display: flex; gap: 24px; margin-top: 28px; } .sigline div { flex: 1; border-top: 1px solid #333; padding-top: 2px; color: #555; }
        section, table, svg { page-break-inside: avoid; break-inside: avoid; }
        @media print { body { margin: 0; max-width: none; } @page { size: A4; margin: 14mm; } }
        """;

    public static string Render(JsonObject report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var verified = report["verified"]?.GetValue<bool>() == true;
        var html = new StringBuilder();
        var title = E(ReportTables.Title(report));
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">")
            .Append("<title>").Append(title).Append("</title><style>").Append(Style).Append("</style></head><body>\n");
        html.Append("<h1>").Append(title).Append("</h1>\n");
        if (!verified)
        {
            html.Append("<div class=\"banner\"><span class=\"unverified\">UNVERIFIED:</span> the chain does not verify over the records read; the figures below count only the records before the first bad one and must not be signed off as they are.</div>\n");
        }

        Facts(html, ReportTables.Verification(report), verified);
        html.Append("<section class=\"charts\">")
            .Append("<h2>Decisions per day by verdict</h2>").Append(SvgCharts.DecisionsPerDay(report["daily"] as JsonArray ?? []))
            .Append("<h2>Override ratio over time</h2>").Append(SvgCharts.OverrideRatio(report["daily"] as JsonArray ?? []))
            .Append("<h2>Time-to-disposition distribution</h2>").Append(SvgCharts.Distribution(report["time_to_disposition_histogram"] as JsonArray ?? []))
            .Append("</section>\n");
        foreach (var table in ReportTables.Of(report))
        {
            Table(html, table);
        }

        html.Append("<section class=\"signoff\"><h2>Sign-off</h2>");
        Facts(html, ReportTables.SignOff(report), verified);
        html.Append("<p class=\"note\">I have reviewed the figures above for the period and control owner stated. The chain head hash binds this report to the verified trail.</p>")
            .Append("<div class=\"sigline\"><div>Signature</div><div>Name</div><div>Date</div></div></section>\n</body></html>\n");
        return html.ToString();
    }

    private static void Facts(StringBuilder html, IReadOnlyList<(string Label, Cell Value)> facts, bool verified)
    {
        html.Append("<table class=\"facts\">");
        foreach (var (label, value) in facts)
        {
            var css = label switch
            {
                "Chain" => verified ? " class=\"verified\"" : " class=\"unverified\"",
                "Chain head hash" => " class=\"hash\"",
                _ => string.Empty,
            };
            html.Append("<tr><th>").Append(E(label)).Append("</th><td").Append(css).Append(Pointer(value)).Append('>').Append(E(value.Text)).Append("</td></tr>");
        }

        html.Append("</table>\n");
    }

    private static void Table(StringBuilder html, ReportTable table)
    {
        html.Append("<section><h2>").Append(E(table.Title)).Append("</h2><p class=\"note\">").Append(E(table.Note)).Append("</p>");
        if (table.Rows.Count == 0)
        {
            html.Append("<p>None in scope.</p></section>\n");
            return;
        }

        html.Append("<table><thead><tr>");
        foreach (var header in table.Header)
        {
            html.Append("<th>").Append(E(header)).Append("</th>");
        }

        html.Append("</tr></thead><tbody>");
        foreach (var row in table.Rows)
        {
            html.Append("<tr>");
            foreach (var cell in row)
            {
                html.Append("<td").Append(Pointer(cell)).Append('>').Append(E(cell.Text)).Append("</td>");
            }

            html.Append("</tr>");
        }

        html.Append("</tbody></table></section>\n");
    }

    private static string Pointer(Cell cell) => cell.Pointer is null ? string.Empty : $" data-json=\"{E(cell.Pointer)}\"";

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
