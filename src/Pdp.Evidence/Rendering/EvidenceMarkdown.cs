using System.Text;
using System.Text.Json.Nodes;

namespace Pdp.Evidence.Rendering;

/// <summary>The Markdown form: the same tables as the HTML, for a wiki or a pull request; no charts.</summary>
public static class EvidenceMarkdown
{
    public static string Render(JsonObject report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var md = new StringBuilder();
        md.Append("# ").AppendLine(Escape(ReportTables.Title(report))).AppendLine();
        Facts(md, ReportTables.Verification(report));
        foreach (var table in ReportTables.Of(report))
        {
            md.AppendLine().Append("## ").AppendLine(Escape(table.Title)).AppendLine().AppendLine(Escape(table.Note)).AppendLine();
            if (table.Rows.Count == 0)
            {
                md.AppendLine("None in scope.");
                continue;
            }

            Row(md, table.Header.Select(Escape));
            Row(md, table.Header.Select((_, i) => i == 0 ? "---" : "---:"));
            foreach (var row in table.Rows)
            {
                Row(md, row.Select(c => Escape(c.Text)));
            }
        }

        md.AppendLine().AppendLine("## Sign-off").AppendLine();
        Facts(md, ReportTables.SignOff(report));
        md.AppendLine().AppendLine("Signed: ______________________________    Name: ______________________    Date: ____________");
        return md.ToString();
    }

    private static void Facts(StringBuilder md, IReadOnlyList<(string Label, Cell Value)> facts)
    {
        md.AppendLine("| | |").AppendLine("|---|---|");
        foreach (var (label, value) in facts)
        {
            Row(md, [Escape(label), Escape(value.Text)]);
        }
    }

    private static void Row(StringBuilder md, IEnumerable<string> cells) => md.Append("| ").AppendJoin(" | ", cells).AppendLine(" |");

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
