using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Pdp.Evidence.Rendering;

/// <summary>
/// The HTML form's three charts as small inline SVG written here: stacked bars of decisions per day by verdict, a line
/// of the daily override ratio, and bars of the time-to-disposition distribution. Hand-written rather than a plotting
/// library: three simple shapes need no font metrics or native renderer, the output is the same on every machine, and
/// each bar and point carries the JSON pointer of the value it draws (see docs/evidence-report.md).
/// </summary>
internal static class SvgCharts
{
    private const double Width = 760, Height = 230, Left = 48, Right = 12, Top = 14, Bottom = 44;
    private const double PlotWidth = Width - Left - Right, PlotHeight = Height - Top - Bottom;

    private static readonly int[] Multiples = [1, 2, 5, 10];

    /// <summary>Verdict colours, also the legend's; readable in greyscale print (dark, light, mid).</summary>
    public static readonly (string Key, string Label, string Colour)[] Verdicts =
    [
        ("allow", "Allow", "#2e7d32"), ("deny", "Deny", "#c62828"), ("require_human", "Require human", "#f0a500"),
    ];

    public static string DecisionsPerDay(JsonArray daily)
    {
        var max = daily.Select(d => Verdicts.Sum(v => Int(d, v.Key))).DefaultIfEmpty(0).Max();
        var top = NiceMax(max);
        var svg = Open("Decisions per day by verdict", top, t => t.ToString(CultureInfo.InvariantCulture));
        var slot = PlotWidth / Math.Max(1, daily.Count);
        for (var i = 0; i < daily.Count; i++)
        {
            var y = Top + PlotHeight;
            foreach (var (key, label, colour) in Verdicts)
            {
                var count = Int(daily[i], key);
                var h = count / top * PlotHeight;
                y -= h;
                if (count > 0)
                {
                    svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(Left + (i * slot) + (slot * 0.15))}\" y=\"{N(y)}\" width=\"{N(slot * 0.7)}\" height=\"{N(h)}\" fill=\"{colour}\" data-json=\"/daily/{i}/{key}\"><title>{Date(daily[i])}: {count} {label.ToLowerInvariant()}</title></rect>");
                }
            }
        }

        DayLabels(svg, daily, slot);
        Legend(svg, Verdicts.Select(v => (v.Label, v.Colour)));
        return svg.Append("</svg>").ToString();
    }

    public static string OverrideRatio(JsonArray daily)
    {
        var svg = Open("Override ratio per day", 1, t => (t * 100).ToString("0", CultureInfo.InvariantCulture) + "%");
        var slot = PlotWidth / Math.Max(1, daily.Count);
        var points = new List<string>();
        for (var i = 0; i < daily.Count; i++)
        {
            if (daily[i]?["override_ratio"] is not JsonValue value || !value.TryGetValue<double>(out var ratio))
            {
                // No disposition that day: no point, rather than a zero that was never measured.
                continue;
            }

            var (x, y) = (Left + (i * slot) + (slot / 2), Top + PlotHeight - (ratio * PlotHeight));
            points.Add($"{N(x)},{N(y)}");
            svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{N(x)}\" cy=\"{N(y)}\" r=\"3.5\" fill=\"#1565c0\" data-json=\"/daily/{i}/override_ratio\"><title>{Date(daily[i])}: {N(ratio * 100)}% of {Int(daily[i], "dispositions")} dispositions</title></circle>");
        }

        if (points.Count > 1)
        {
            svg.Insert(svg.ToString().IndexOf("<circle", StringComparison.Ordinal), $"<polyline points=\"{string.Join(' ', points)}\" fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\"/>");
        }

        DayLabels(svg, daily, slot);
        return svg.Append("</svg>").ToString();
    }

    public static string Distribution(JsonArray bins)
    {
        var top = NiceMax(bins.Select(b => Int(b, "count")).DefaultIfEmpty(0).Max());
        var svg = Open("Time to disposition (settled reviews)", top, t => t.ToString(CultureInfo.InvariantCulture));
        var slot = PlotWidth / Math.Max(1, bins.Count);
        for (var i = 0; i < bins.Count; i++)
        {
            var count = Int(bins[i], "count");
            var h = count / top * PlotHeight;
            var label = WebUtility.HtmlEncode(bins[i]?["bin"]?.GetValue<string>() ?? string.Empty);
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(Left + (i * slot) + (slot * 0.1))}\" y=\"{N(Top + PlotHeight - h)}\" width=\"{N(slot * 0.8)}\" height=\"{N(h)}\" fill=\"#5e35b1\" data-json=\"/time_to_disposition_histogram/{i}/count\"><title>{label}: {count}</title></rect>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(Left + (i * slot) + (slot / 2))}\" y=\"{N(Height - Bottom + 16)}\" text-anchor=\"middle\">{label}</text>");
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>The svg element, its title, the axes and the y grid up to <paramref name="top"/>.</summary>
    private static StringBuilder Open(string title, double top, Func<double, string> tick)
    {
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{title}\" class=\"chart\"><title>{title}</title>");
        for (var i = 0; i <= 4; i++)
        {
            var y = Top + PlotHeight - (i / 4.0 * PlotHeight);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{N(y)}\" y2=\"{N(y)}\" stroke=\"#ddd\"/><text x=\"{Left - 6}\" y=\"{N(y + 4)}\" text-anchor=\"end\">{tick(top * i / 4)}</text>");
        }

        return svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Left}\" y1=\"{Top}\" y2=\"{Top + PlotHeight}\" stroke=\"#888\"/>");
    }

    /// <summary>Dates under the bars: all of them when few, else about eight evenly spaced.</summary>
    private static void DayLabels(StringBuilder svg, JsonArray daily, double slot)
    {
        var every = Math.Max(1, (int)Math.Ceiling(daily.Count / 8.0));
        for (var i = 0; i < daily.Count; i += every)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(Left + (i * slot) + (slot / 2))}\" y=\"{N(Height - Bottom + 16)}\" text-anchor=\"middle\">{Date(daily[i])[5..]}</text>");
        }
    }

    private static void Legend(StringBuilder svg, IEnumerable<(string Label, string Colour)> items)
    {
        var x = Left;
        foreach (var (label, colour) in items)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(x)}\" y=\"{N(Height - 16)}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{N(x + 14)}\" y=\"{N(Height - 7)}\">{label}</text>");
            x += 24 + (label.Length * 7);
        }
    }

    /// <summary>An axis maximum of four equal ticks at or above <paramref name="max"/>: whole steps up to 10, then 1, 2 or 5 times a power of ten.</summary>
    private static double NiceMax(int max)
    {
        var step = Math.Max(1, Math.Ceiling(max / 4.0));
        if (step > 10)
        {
            var power = Math.Pow(10, Math.Floor(Math.Log10(step)));
            step = Multiples.Select(m => m * power).First(s => s >= step);
        }

        return step * 4;
    }

    private static int Int(JsonNode? node, string key) => node?[key] is JsonValue v && v.TryGetValue<int>(out var n) ? n : 0;

    private static string Date(JsonNode? day) => day?["date"]?.GetValue<string>() ?? "????-??-??";

    private static string N(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
