using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pdp.LoadGen.Running;

namespace Pdp.LoadGen.Reporting;

/// <summary>A throughput ratio computed in one run: a scenario against the baseline it was compared with.</summary>
internal sealed record Comparison(string Scenario, string Baseline, double ThroughputRatio, double P50Ratio, double P99Ratio);

/// <summary>Everything one invocation measured, and its three renderings: console table, JSON, Markdown.</summary>
internal sealed record RunReport(DateTimeOffset Started, string Target, string CommandLine, MachineInfo Machine, IReadOnlyList<ScenarioResult> Scenarios, IReadOnlyList<Comparison> Comparisons)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private static readonly string[] Header = ["scenario", "mode", "load", "operation", "calls", "errors", "calls/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms"];

    public long TotalErrors => Scenarios.Sum(s => s.Operations.Sum(o => o.Errors));

    public string ToTable()
    {
        var rows = new List<string[]> { Header };
        foreach (var s in Scenarios)
        {
            foreach (var o in s.Operations.Concat(s.ServiceTime is null ? [] : [s.ServiceTime]))
            {
                rows.Add([s.Scenario, s.Mode.ToString().ToLowerInvariant(), s.Load, o.Name, N(o.Count), N(o.Errors), F(o.ThroughputPerSecond, 0), F(o.P50Ms, 3), F(o.P90Ms, 3), F(o.P99Ms, 3), F(o.P999Ms, 3), F(o.MaxMs, 3)]);
            }
        }

        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var (row, i) in rows.Select((r, i) => (r, i)))
        {
            text.AppendLine(string.Join("  ", row.Select((cell, c) => c < 4 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd());
            if (i == 0)
            {
                text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
            }
        }

        foreach (var s in Scenarios)
        {
            var notes = Notes(s);
            if (notes.Length > 0)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"{s.Scenario}: {notes}");
            }
        }

        foreach (var c in Comparisons)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{c.Scenario} / {c.Baseline}: throughput ratio {c.ThroughputRatio:0.00}, p50 ratio {c.P50Ratio:0.00}, p99 ratio {c.P99Ratio:0.00}");
        }

        return text.ToString();
    }

    public string ToMarkdown()
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Pdp load test, {Started:yyyy-MM-dd HH:mm} UTC");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- target: `{Target}`");
        md.AppendLine(CultureInfo.InvariantCulture, $"- command: `{CommandLine}`");
        md.AppendLine(CultureInfo.InvariantCulture, $"- machine: {Machine}");
        md.AppendLine();
        md.AppendLine("| scenario | mode | load | operation | calls | errors | calls/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |");
        md.AppendLine("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var s in Scenarios)
        {
            foreach (var o in s.Operations.Concat(s.ServiceTime is null ? [] : [s.ServiceTime]))
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {s.Scenario} | {s.Mode.ToString().ToLowerInvariant()} | {s.Load} | {o.Name} | {N(o.Count)} | {N(o.Errors)} | {F(o.ThroughputPerSecond, 0)} | {F(o.P50Ms, 3)} | {F(o.P90Ms, 3)} | {F(o.P99Ms, 3)} | {F(o.P999Ms, 3)} | {F(o.MaxMs, 3)} |");
            }
        }

        md.AppendLine();
        foreach (var s in Scenarios)
        {
            var notes = Notes(s);
            if (notes.Length > 0)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {s.Scenario}: {notes}");
            }
        }

        foreach (var c in Comparisons)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- **{c.Scenario} / {c.Baseline}**: throughput ratio **{c.ThroughputRatio:0.00}**, p50 ratio {c.P50Ratio:0.00}, p99 ratio {c.P99Ratio:0.00}");
        }

        return md.ToString();
    }

    public string ToJson()
    {
        var root = new JsonObject
        {
            ["started"] = Started.ToString("O", CultureInfo.InvariantCulture),
            ["target"] = Target,
            ["command"] = CommandLine,
            ["machine"] = new JsonObject
            {
                ["processors"] = Machine.Processors,
                ["cpu_model"] = Machine.CpuModel,
                ["memory_gib"] = Machine.MemoryGiB,
                ["os"] = Machine.Os,
                ["runtime"] = Machine.Runtime,
                ["load_average_at_end"] = Machine.LoadAverage,
            },
            ["scenarios"] = new JsonArray([.. Scenarios.Select(s => (JsonNode)new JsonObject
            {
                ["scenario"] = s.Scenario,
                ["description"] = s.Description,
                ["mode"] = s.Mode.ToString().ToLowerInvariant(),
                ["load"] = s.Load,
                ["seconds"] = Math.Round(s.Seconds, 3),
                ["aborted"] = s.Aborted,
                ["abort_reason"] = s.AbortReason,
                ["max_in_flight"] = s.MaxInFlight,
                ["server_max_rss_mb"] = s.ServerMaxRssMb is { } rss ? Math.Round(rss, 1) : null,
                ["server_cpu_seconds"] = s.ServerCpuSeconds is { } cpu ? Math.Round(cpu, 2) : null,
                ["server_cpu_us_per_unit"] = s.ServerCpuMicrosecondsPerUnit is { } per ? Math.Round(per, 1) : null,
                ["client_cpu_seconds"] = Math.Round(s.ClientCpuSeconds, 2),
                ["operations"] = new JsonArray([.. s.Operations.Select(Operation)]),
                ["service_time"] = s.ServiceTime is null ? null : Operation(s.ServiceTime),
            })]),
            ["comparisons"] = new JsonArray([.. Comparisons.Select(c => (JsonNode)new JsonObject
            {
                ["scenario"] = c.Scenario,
                ["baseline"] = c.Baseline,
                ["throughput_ratio"] = Math.Round(c.ThroughputRatio, 4),
                ["p50_ratio"] = Math.Round(c.P50Ratio, 4),
                ["p99_ratio"] = Math.Round(c.P99Ratio, 4),
            })]),
            ["total_errors"] = TotalErrors,
        };
        return root.ToJsonString(Indented);
    }

    /// <summary>Writes <c>loadgen-&lt;time&gt;.json</c> and <c>.md</c> (and <c>latest.json</c>/<c>latest.md</c>) into <paramref name="directory"/>.</summary>
    public IReadOnlyList<string> Write(string directory)
    {
        Directory.CreateDirectory(directory);
        var stem = Path.Combine(directory, $"loadgen-{Started:yyyyMMdd-HHmmss}");
        var json = ToJson();
        var markdown = ToMarkdown();
        File.WriteAllText(stem + ".json", json);
        File.WriteAllText(stem + ".md", markdown);
        File.WriteAllText(Path.Combine(directory, "latest.json"), json);
        File.WriteAllText(Path.Combine(directory, "latest.md"), markdown);
        return [stem + ".json", stem + ".md"];
    }

    private static JsonObject Operation(OperationResult o) => new()
    {
        ["name"] = o.Name,
        ["calls"] = o.Count,
        ["errors"] = o.Errors,
        ["errors_by_status"] = new JsonObject([.. o.ErrorsByStatus.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))]),
        ["throughput_per_s"] = Math.Round(o.ThroughputPerSecond, 1),
        ["p50_ms"] = Math.Round(o.P50Ms, 4),
        ["p90_ms"] = Math.Round(o.P90Ms, 4),
        ["p99_ms"] = Math.Round(o.P99Ms, 4),
        ["p999_ms"] = Math.Round(o.P999Ms, 4),
        ["max_ms"] = Math.Round(o.MaxMs, 4),
        ["mean_ms"] = Math.Round(o.MeanMs, 4),
    };

    private static string Notes(ScenarioResult s)
    {
        var notes = new List<string>();
        if (s.ServerMaxRssMb is { } rss)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"server RSS max {rss:0} MB"));
        }

        if (s.ServerCpuMicrosecondsPerUnit is { } cpu)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"server CPU {cpu:0} µs/unit"));
        }

        notes.Add(string.Create(CultureInfo.InvariantCulture, $"client CPU {s.ClientCpuSeconds:0.0} s"));
        if (s.Mode == LoadMode.Open)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"max in flight {s.MaxInFlight}"));
        }

        foreach (var o in s.Operations.Where(o => o.Errors > 0))
        {
            notes.Add($"{o.Name} errors: {string.Join(", ", o.ErrorsByStatus.Select(kv => $"{kv.Key} {kv.Value}"))}");
        }

        if (s.AbortReason is not null)
        {
            notes.Add("ABORTED: " + s.AbortReason);
        }

        return string.Join("; ", notes);
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string F(double value, int decimals) => value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
