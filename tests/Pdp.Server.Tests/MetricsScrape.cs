using System.Globalization;

namespace Pdp.Server.Tests;

/// <summary>One scrape of /metrics in the Prometheus text format, as series (name and labels) to values.</summary>
internal sealed class MetricsScrape
{
    private MetricsScrape(IReadOnlyDictionary<string, double> series) => Series = series;

    /// <summary>Keys are <c>name{label="value",...}</c> exactly as exported.</summary>
    public IReadOnlyDictionary<string, double> Series { get; }

    public static async Task<MetricsScrape> TakeAsync(HttpClient admin)
    {
        var text = await admin.GetStringAsync(new Uri("/metrics", UriKind.Relative)).WaitAsync(PdpTestServer.Timeout);
        return Parse(text);
    }

    public static MetricsScrape Parse(string text)
    {
        var series = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var split = line.LastIndexOf(' ');
            series[line[..split]] = double.Parse(line[(split + 1)..], CultureInfo.InvariantCulture);
        }

        return new MetricsScrape(series);
    }

    /// <summary>The value of one series, 0 when it is not exported yet (as a counter that never moved).</summary>
    public double Value(string name, params (string Label, string Value)[] labels)
    {
        var key = labels.Length == 0 ? name : $"{name}{{{string.Join(",", labels.Select(l => $"{l.Label}=\"{l.Value}\""))}}}";
        return Series.GetValueOrDefault(key);
    }

    public IEnumerable<string> Named(string prefix) => Series.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal));
}
