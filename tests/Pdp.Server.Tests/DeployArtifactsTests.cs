using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>
/// The deployment artifacts (Prometheus rules and config, the Grafana dashboard) and docs/metrics.md's metrics table,
/// checked against the real promtool and the /metrics of a real server, so none of them can drift from the code.
/// </summary>
public sealed partial class DeployArtifactsTests
{
    private static readonly TimeSpan PromtoolTimeout = TimeSpan.FromSeconds(60);
    private static readonly string[] HistogramSuffixes = ["_bucket", "_sum", "_count"];

    private static string Root { get; } = PdpTestServer.RepositoryRoot();

    private static string RulesPath => Path.Combine(Root, "deploy", "prometheus", "pdp-rules.yml");

    private static string ConfigPath => Path.Combine(Root, "deploy", "prometheus", "prometheus.yml");

    private static string DashboardPath => Path.Combine(Root, "deploy", "grafana", "pdp-dashboard.json");

    private static string ReadmePath => Path.Combine(Root, "docs", "metrics.md");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PromtoolCheckRules_ShippedRules_ExitsZero()
    {
        var (exitCode, output) = await PromtoolAsync("check", "rules", RulesPath).WaitAsync(PromtoolTimeout, Ct);

        Assert.True(exitCode == 0, $"promtool check rules exited {exitCode}:\n{output}");
    }

    [Fact]
    public async Task PromtoolCheckConfig_ExampleConfig_ExitsZeroAndLoadsRulesBesideIt()
    {
        // promtool resolves rule_files relative to the config file, and fails on a rule file that does not exist.
        var (exitCode, output) = await PromtoolAsync("check", "config", ConfigPath).WaitAsync(PromtoolTimeout, Ct);

        Assert.True(exitCode == 0, $"promtool check config exited {exitCode}:\n{output}");
        Assert.Contains("pdp-rules.yml", output, StringComparison.Ordinal);
        var config = await File.ReadAllTextAsync(ConfigPath, Ct).WaitAsync(PdpTestServer.Timeout, Ct);
        Assert.Matches(@"(?m)^\s*scrape_interval:\s*15s\s*$", config);
        Assert.Contains("127.0.0.1:8282", config, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PromtoolCheckRules_DashboardExpressionsAsRules_ExitsZero()
    {
        // promtool has no plain "parse this PromQL"; each panel's expression, with Grafana's variables
        // substituted, becomes a recording rule in a scratch file that promtool checks. (Variable queries
        // use Grafana's label_values(), which is not PromQL.)
        var yaml = new StringBuilder("groups:\n  - name: dashboard-expressions\n    rules:\n");
        var expressions = DashboardExpressions(await ReadDashboardAsync(), includeVariables: false);
        Assert.NotEmpty(expressions);
        for (var i = 0; i < expressions.Count; i++)
        {
            var expr = expressions[i]
                .Replace("$__rate_interval", "1m", StringComparison.Ordinal)
                .Replace("$__interval", "1m", StringComparison.Ordinal)
                .Replace("$__range", "1h", StringComparison.Ordinal)
                .Replace("$policy", ".*", StringComparison.Ordinal);
            Assert.DoesNotContain("$", expr, StringComparison.Ordinal);
            yaml.Append(CultureInfo.InvariantCulture, $"      - record: dashboard:expression_{i}\n        expr: |\n");
            foreach (var line in expr.Split('\n'))
            {
                yaml.Append("          ").Append(line).Append('\n');
            }
        }

        var dir = Directory.CreateTempSubdirectory("pdp-dashboard-promql-").FullName;
        try
        {
            var file = Path.Combine(dir, "dashboard-expressions.yml");
            await File.WriteAllTextAsync(file, yaml.ToString(), Ct).WaitAsync(PdpTestServer.Timeout, Ct);

            var (exitCode, output) = await PromtoolAsync("check", "rules", file).WaitAsync(PromtoolTimeout, Ct);

            Assert.True(exitCode == 0, $"a dashboard expression does not parse ({exitCode}):\n{output}\n{yaml}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task MetricNames_InRulesAndDashboard_ExportedByRealServer()
    {
        var exported = await ExportedMetricsAsync();
        var rules = await File.ReadAllTextAsync(RulesPath, Ct).WaitAsync(PdpTestServer.Timeout, Ct);
        var dashboardExpressions = string.Join('\n', DashboardExpressions(await ReadDashboardAsync()));

        var missing = MetricTokenRegex().Matches(rules).Select(m => (Source: "pdp-rules.yml", Name: m.Value))
            .Concat(MetricTokenRegex().Matches(dashboardExpressions).Select(m => (Source: "pdp-dashboard.json", Name: m.Value)))
            .Where(t => !IsExported(t.Name, exported))
            .Select(t => $"{t.Source}: {t.Name}")
            .Distinct()
            .ToList();

        Assert.True(missing.Count == 0, "referenced but not exported by /metrics:\n" + string.Join('\n', missing));
        Assert.Contains("pdp_decision_duration_seconds", exported.Keys);
    }

    [Fact]
    public async Task RecordingRules_UsedByDashboard_DefinedInRulesFile()
    {
        var rules = await File.ReadAllTextAsync(RulesPath, Ct).WaitAsync(PdpTestServer.Timeout, Ct);
        var defined = RecordRegex().Matches(rules).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var used = RecordingRuleTokenRegex().Matches(string.Join('\n', DashboardExpressions(await ReadDashboardAsync())))
            .Select(m => m.Value)
            .ToHashSet(StringComparer.Ordinal);

        Assert.NotEmpty(used);
        Assert.Empty(used.Where(name => !defined.Contains(name)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ReadmeMetricsTable_ComparedWithRealServer_ListsExactlyTheExportedMetricsWithTheirTypes()
    {
        var exported = await ExportedMetricsAsync();
        var readme = await File.ReadAllTextAsync(ReadmePath, Ct).WaitAsync(PdpTestServer.Timeout, Ct);
        var start = readme.IndexOf("<!-- metrics:start -->", StringComparison.Ordinal);
        var end = readme.IndexOf("<!-- metrics:end -->", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "docs/metrics.md lacks the metrics markers");
        var documented = ReadmeMetricRowRegex().Matches(readme[start..end])
            .ToDictionary(m => m.Groups["name"].Value, m => m.Groups["type"].Value, StringComparer.Ordinal);
        var exportedPdp = exported.Where(e => e.Key.StartsWith("pdp_", StringComparison.Ordinal))
            .ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);

        Assert.Empty(documented.Keys.Except(exportedPdp.Keys).Order(StringComparer.Ordinal));
        Assert.Empty(exportedPdp.Keys.Except(documented.Keys).Order(StringComparer.Ordinal));
        Assert.Empty(documented.Where(d => exportedPdp[d.Key] != d.Value).Select(d => $"{d.Key}: docs/metrics.md says {d.Value}, /metrics says {exportedPdp[d.Key]}"));
    }

    [Fact]
    public async Task Dashboard_Parsed_ValidJsonWithUniquePanelIdsDescriptionsAndVariables()
    {
        var dashboard = await ReadDashboardAsync();
        var panels = Panels(dashboard).ToList();

        Assert.True(panels.Count >= 15, $"only {panels.Count} panels");
        var ids = panels.Select(p => p["id"]?.GetValue<int>()).ToList();
        Assert.DoesNotContain(null, ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(panels, p => Assert.False(string.IsNullOrWhiteSpace(p["description"]?.GetValue<string>()), $"panel '{p["title"]}' has no description"));
        Assert.All(panels.Where(p => p["type"]?.GetValue<string>() != "row"), p => Assert.Equal("${datasource}", p["datasource"]?["uid"]?.GetValue<string>()));
        var variables = dashboard["templating"]!["list"]!.AsArray().ToDictionary(v => v!["name"]!.GetValue<string>(), v => v!);
        Assert.Equal("datasource", variables["datasource"]["type"]!.GetValue<string>());
        Assert.Equal("prometheus", variables["datasource"]["query"]!.GetValue<string>());
        Assert.Equal("label_values(pdp_decisions_total, policy)", variables["policy"]["definition"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("pdp:override_ratio:", "override_ratio_low", "override_ratio_high")]
    [InlineData("pdp:review_duration_seconds:median1h", "review_median_seconds_low")]
    [InlineData("pdp_reviews_pending", "pending_reviews_high")]
    [InlineData("histogram_quantile(0.99, sum by (le) (rate(pdp_decision_duration_seconds_bucket", "decision_p99_seconds")]
    public async Task DashboardThresholdLines_PanelOfAlertedSeries_MatchThresholdParametersInRules(string expressionFragment, params string[] thresholds)
    {
        var rules = await File.ReadAllTextAsync(RulesPath, Ct).WaitAsync(PdpTestServer.Timeout, Ct);
        var parameters = ThresholdRegex().Matches(rules)
            .ToDictionary(m => m.Groups["name"].Value, m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture), StringComparer.Ordinal);
        var panel = Assert.Single(Panels(await ReadDashboardAsync()), p => p["targets"] is JsonArray targets
            && targets.Any(t => t?["expr"]?.GetValue<string>().Contains(expressionFragment, StringComparison.Ordinal) == true));

        var lines = panel["fieldConfig"]!["defaults"]!["thresholds"]!["steps"]!.AsArray()
            .Select(s => s!["value"]).OfType<JsonNode>().Select(v => v.GetValue<double>()).Order().ToList();

        Assert.NotEqual("off", panel["fieldConfig"]!["defaults"]!["custom"]!["thresholdsStyle"]!["mode"]!.GetValue<string>());
        Assert.Equal(thresholds.Select(t => parameters["pdp_alert_threshold:" + t]).Order(), lines);
    }

    private static bool IsExported(string name, IReadOnlyDictionary<string, string> exported) =>
        exported.ContainsKey(name)
        || HistogramSuffixes.Any(suffix => name.EndsWith(suffix, StringComparison.Ordinal)
            && exported.TryGetValue(name[..^suffix.Length], out var type) && type == "histogram");

    /// <summary>Metric name → type, from the # TYPE lines of a real server's /metrics (present even before a first sample).</summary>
    private static async Task<Dictionary<string, string>> ExportedMetricsAsync()
    {
        await using var server = await PdpTestServer.StartAsync().WaitAsync(PdpTestServer.Timeout, Ct);
        using var response = await server.Admin.GetAsync(new Uri("/metrics", UriKind.Relative), Ct).WaitAsync(PdpTestServer.Timeout, Ct);
        response.EnsureSuccessStatusCode();
        var text = await response.Content.ReadAsStringAsync(Ct).WaitAsync(PdpTestServer.Timeout, Ct);
        var types = TypeLineRegex().Matches(text).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["type"].Value, StringComparer.Ordinal);
        Assert.NotEmpty(types);
        return types;
    }

    private static async Task<JsonObject> ReadDashboardAsync()
    {
        var text = await File.ReadAllTextAsync(DashboardPath, Ct).WaitAsync(PdpTestServer.Timeout, Ct);
        var node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        return Assert.IsType<JsonObject>(node);
    }

    /// <summary>Every panel, rows' collapsed children included.</summary>
    private static IEnumerable<JsonObject> Panels(JsonObject dashboard)
    {
        var pending = new Stack<JsonNode?>(dashboard["panels"]?.AsArray() ?? []);
        while (pending.TryPop(out var node))
        {
            var panel = Assert.IsType<JsonObject>(node);
            yield return panel;
            foreach (var child in panel["panels"]?.AsArray() ?? [])
            {
                pending.Push(child);
            }
        }
    }

    /// <summary>The PromQL of every panel target and of every query variable.</summary>
    private static List<string> DashboardExpressions(JsonObject dashboard, bool includeVariables = true)
    {
        var expressions = Panels(dashboard)
            .SelectMany(p => p["targets"]?.AsArray() ?? [])
            .Select(t => t?["expr"]?.GetValue<string>())
            .ToList();
        foreach (var variable in dashboard["templating"]?["list"]?.AsArray() ?? [])
        {
            if (includeVariables && variable?["type"]?.GetValue<string>() == "query")
            {
                expressions.Add(variable["definition"]?.GetValue<string>());
                expressions.Add(variable["query"] is JsonObject query ? query["query"]?.GetValue<string>() : variable["query"]?.GetValue<string>());
            }
        }

        return expressions.OfType<string>().Where(e => e.Length > 0).ToList();
    }

    private static async Task<(int ExitCode, string Output)> PromtoolAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("promtool")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("promtool did not start");
        }
        catch (Win32Exception e)
        {
            // Not a skip: the artifacts are unchecked without it. .ci/run installs Debian's prometheus package.
            throw new InvalidOperationException($"promtool is not on PATH ({e.Message}); install it (Debian: apt-get install prometheus)", e);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(Ct);
            var stderr = process.StandardError.ReadToEndAsync(Ct);
            try
            {
                await process.WaitForExitAsync(Ct).WaitAsync(PromtoolTimeout, Ct);
            }
            catch
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            var output = await stdout.WaitAsync(PromtoolTimeout, Ct) + await stderr.WaitAsync(PromtoolTimeout, Ct);
            return (process.ExitCode, output);
        }
    }

    /// <summary>A metric name (pdp_…), not a threshold parameter (pdp_alert_threshold:…) and not part of a longer name.</summary>
    [GeneratedRegex("(?<![A-Za-z0-9_:])pdp_[a-z_]+(?![A-Za-z0-9_:])")]
    private static partial Regex MetricTokenRegex();

    [GeneratedRegex("(?<![A-Za-z0-9_:])pdp:[A-Za-z0-9_:]*[A-Za-z0-9_]")]
    private static partial Regex RecordingRuleTokenRegex();

    [GeneratedRegex(@"(?m)^\s*-?\s*record:\s*(\S+)\s*$")]
    private static partial Regex RecordRegex();

    [GeneratedRegex(@"record:\s*(?<name>pdp_alert_threshold:\w+)\s*\n\s*expr:\s*vector\((?<value>[0-9.]+)\)")]
    private static partial Regex ThresholdRegex();

    [GeneratedRegex(@"(?m)^# TYPE (?<name>\S+) (?<type>\S+)\s*$")]
    private static partial Regex TypeLineRegex();

    [GeneratedRegex(@"(?m)^\|\s*`(?<name>pdp_[a-z_]+)`\s*\|\s*(?<type>\w+)\s*\|")]
    private static partial Regex ReadmeMetricRowRegex();
}
