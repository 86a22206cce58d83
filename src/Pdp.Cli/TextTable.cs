namespace Pdp.Cli;

/// <summary>Left-aligned text columns (numbers right-aligned), two spaces apart, no trailing blanks.</summary>
internal sealed class TextTable(params string[] header)
{
    private readonly List<string[]> _rows = [header];

    public TextTable Add(params object[] cells)
    {
        _rows.Add(cells.Select(c => Convert.ToString(c, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty).ToArray());
        return this;
    }

    public void Write(TextWriter writer, string indent = "")
    {
        var columns = _rows.Max(r => r.Length);
        var widths = Enumerable.Range(0, columns).Select(c => _rows.Max(r => c < r.Length ? r[c].Length : 0)).ToArray();
        var numeric = Enumerable.Range(0, columns).Select(c => _rows.Skip(1).All(r => c < r.Length && long.TryParse(r[c], out _)) && _rows.Count > 1).ToArray();
        foreach (var row in _rows)
        {
            var cells = row.Select((cell, c) => numeric[c] ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]));
            writer.WriteLine((indent + string.Join("  ", cells)).TrimEnd());
        }
    }
}
