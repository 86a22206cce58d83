using Xunit;
using System.Text.Json.Nodes;
using Pdp.Audit.Verification;

namespace Pdp.Cli.Tests.Evidence;

/// <summary>
/// <c>pdp report</c> over the trail of a real server driven through <see cref="EvidenceScenario"/>: every figure of
/// the JSON equals what the scenario did, filters give the subsets, a tampered trail gives an unverified report.
/// </summary>
public sealed class ReportCommandTests(EvidenceScenario scenario) : IClassFixture<EvidenceScenario>
{
    [Fact]
    public void Report_WholeScenario_EveryFigureEqualsTheScenario()
    {
        var (result, report) = Report(scenario.TrailPath, Period("all"));

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        var verified = AuditVerifier.Verify(scenario.TrailPath);
        Assert.True(report["verified"]!.GetValue<bool>());
        Assert.Equal(verified.LastHash, report["chain_head"]!.GetValue<string>());
        Assert.Equal(verified.LastSeq, report["verification"]!["last_seq"]!.GetValue<long>());
        Assert.Equal(1, report["verification"]!["first_seq"]!.GetValue<long>());
        var expected = ExpectedFigures.Of(scenario.Log, _ => true, [1, 2]);
        ExpectedFigures.AssertEqual(expected, report["totals"]!, "totals");

        // The scenario must have exercised what the report counts, or the equality above proves little.
        foreach (var rule in new[] { "self_approval", "not_in_group", "after_expiry", "duplicate_approval" })
        {
            Assert.True(expected["refused"]![rule]?.GetValue<int>() > 0, rule);
        }

        Assert.True(expected["rubber_stamps"]!.GetValue<int>() > 0 && expected["rubber_stamps"]!.GetValue<int>() < expected["reviews"]!["approved"]!.GetValue<int>());
        Assert.True(expected["reviews"]!["expired"]!.GetValue<int>() > 0 && expected["four_eyes"]!["decisions"]!.GetValue<int>() > expected["four_eyes"]!["completed"]!.GetValue<int>());
        AssertGroups(report, "owners", "owner", scenario.Log.Select(h => h.Domain.Owner), name => d => d.Owner == name, [1, 2]);
        AssertGroups(report, "frameworks", "framework", scenario.Log.SelectMany(h => h.Domain.Frameworks), name => d => d.Frameworks.Contains(name), [1, 2]);
        var revision = Assert.Single(report["policy_revisions"]!.AsArray());
        Assert.Equal(scenario.Log.Count(h => h.IsDecision), revision!["decisions"]!.GetValue<int>());
        Assert.Equal(0, report["unattributed_review_records"]!.GetValue<int>());
        Assert.Equal(0, report["unreadable_records"]!.GetValue<int>());

        // Figures and names only: nothing of the requests themselves (the target every request named) is reported.
        Assert.DoesNotContain("target-1", report.ToJsonString(), StringComparison.Ordinal);
    }

    public static TheoryData<string?, string?, string?, string> Filters() => new()
    {
        { "iam-team", null, null, "all" },
        { "finance-team", null, null, "all" },
        { null, "PCI-DSS:7.1", null, "all" },
        { null, "SOC2:CC6.1", null, "1" },
        { null, null, "payments-policy", "all" },
        { null, null, null, "1" },
        { null, null, null, "2" },
        { "iam-team", null, null, "2" },
        { "nobody", null, null, "all" },
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public void Report_Filtered_GivesTheScenarioSubset(string? owner, string? framework, string? policy, string period)
    {
        string[] filters = [.. owner is null ? [] : new[] { "--owner", owner }, .. framework is null ? [] : new[] { "--framework", framework }, .. policy is null ? [] : new[] { "--policy", policy }];
        var (result, report) = Report(scenario.TrailPath, [.. Period(period), .. filters]);

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        bool Matches(EvidenceDomain d) => (owner is null || d.Owner == owner) && (framework is null || d.Frameworks.Contains(framework)) && (policy is null || d.Policy == policy);
        var phases = period == "all" ? new[] { 1, 2 } : [int.Parse(period)];
        ExpectedFigures.AssertEqual(ExpectedFigures.Of(scenario.Log, Matches, phases), report["totals"]!, "totals");
        var inScope = scenario.Log.Where(h => phases.Contains(h.Phase) && Matches(h.Domain)).ToList();
        AssertGroups(report, "owners", "owner", inScope.Select(h => h.Domain.Owner), name => d => Matches(d) && d.Owner == name, phases);
        AssertGroups(report, "frameworks", "framework", inScope.SelectMany(h => h.Domain.Frameworks).Where(f => framework is null || f == framework), name => d => Matches(d) && d.Frameworks.Contains(name), phases);
        Assert.Equal(owner, report["filters"]!["owner"]?.GetValue<string>());
    }

    [Fact]
    public void Report_TamperedTrail_UnverifiedReportWrittenAndExitsOne()
    {
        var copy = CopyTrail("tampered");
        try
        {
            var trail = Path.Combine(copy, Path.GetFileName(scenario.TrailPath));
            var lines = File.ReadAllLines(trail);
            var index = Array.FindIndex(lines, l => l.Contains("\"type\":\"disposition\"", StringComparison.Ordinal) && l.Contains("\"reviewer\":\"tess\"", StringComparison.Ordinal));
            Assert.True(index > 0, "no disposition by tess to tamper with");
            lines[index] = lines[index].Replace("\"reviewer\":\"tess\"", "\"reviewer\":\"tesS\"", StringComparison.Ordinal);
            File.WriteAllLines(trail, lines);
            var html = Path.Combine(copy, "report.html");

            var (result, report) = Report(trail, Period("all"));
            var htmlResult = Cli.Run(["report", trail, .. Period("all"), "--format", "html", "--output", html]);

            Assert.Equal(ExitCodes.Failed, result.ExitCode);
            Assert.Equal(ExitCodes.Failed, htmlResult.ExitCode);
            Assert.Contains("does not verify", result.Error, StringComparison.Ordinal);
            Assert.False(report["verified"]!.GetValue<bool>());
            Assert.Contains($":{index + 1}:", report["verification"]!["problem"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(index, report["verification"]!["records"]!.GetValue<long>());
            Assert.Contains("UNVERIFIED", File.ReadAllText(html), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Theory]
    [InlineData("escalation")]
    [InlineData("review.escalated")]
    public async Task Report_EscalationRecord_CountedAsEscalatedForItsDecisionsOwner(string type)
    {
        var copy = CopyTrail("escalated");
        try
        {
            // The chain continued by the trail's own writer, as the server would append an escalation.
            var trail = Path.Combine(copy, Path.GetFileName(scenario.TrailPath));
            var pending = scenario.Log.Last(h => h.Kind == "require_human" && h.Domain == EvidencePolicies.Payments);
            await using (var writer = await Pdp.Audit.AuditTrail.OpenAsync(new Pdp.Audit.AuditTrailOptions { Path = trail }).WaitAsync(TimeSpan.FromSeconds(30)))
            {
                await writer.AppendAsync(type, new JsonObject { ["decision_id"] = pending.DecisionId, ["escalated_at"] = Iso(scenario.End.AddSeconds(-0.5)), ["escalation_group"] = "leads" }).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            }

            var (result, report) = Report(trail, Period("all"));

            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            Assert.Equal(1, report["totals"]!["reviews"]!["escalated"]!.GetValue<int>());
            var owners = report["owners"]!.AsArray();
            Assert.Equal(1, owners.Single(o => o!["owner"]!.GetValue<string>() == pending.Domain.Owner)!["reviews"]!["escalated"]!.GetValue<int>());
            Assert.Equal(0, owners.Single(o => o!["owner"]!.GetValue<string>() != pending.Domain.Owner)!["reviews"]!["escalated"]!.GetValue<int>());
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public async Task Report_RetainedSuffix_VerifiedFromTheAnchoringCheckpointAndSaysSo()
    {
        var copy = CopyTrail("retained");
        try
        {
            // The server again on the scenario's trail, now rotating small segments and removing the covered ones.
            var trail = Path.Combine(copy, Path.GetFileName(scenario.TrailPath));
            var reversed = scenario.Log.First(h => h.Kind == "allow" && !scenario.Log.Any(r => r.Kind == "reversed" && r.DecisionId == h.DecisionId));
            await using (var server = await PdpProcess.StartAsync(scenario.PolicyDir, trail, "--Pdp:Audit:MaxFileBytes=4096", "--Pdp:Audit:Checkpoint:EveryRecords=1", "--Pdp:Audit:Retention:MaxBytes=8192"))
            {
                for (var i = 0; i < 12; i++)
                {
                    await server.Client.DecideAsync(new Pdp.Contracts.V1.DecideRequest
                    {
                        Agent = new Pdp.Contracts.V1.Agent { Id = EvidencePolicies.Agent },
                        Action = new Pdp.Contracts.V1.Action { Type = "access.allow", Target = new Pdp.Contracts.V1.Target { Kind = "account", Id = $"later-{i}" } },
                    }).ResponseAsync.WaitAsync(TimeSpan.FromSeconds(30));
                }

                // A disposition of a decision whose record retention has removed.
                await server.Client.RecordDispositionAsync(new Pdp.Contracts.V1.RecordDispositionRequest { DecisionId = reversed.DecisionId, Reviewer = "tess", Outcome = Pdp.Contracts.V1.Outcome.Reversed, Justification = "undo" }).ResponseAsync.WaitAsync(TimeSpan.FromSeconds(30));
                await server.StopAsync();
            }

            var verified = AuditVerifier.Verify(trail);
            var (result, report) = Report(trail, ["--from", Iso(scenario.Start), "--to", Iso(DateTimeOffset.UtcNow.AddMinutes(1))]);

            Assert.True(verified.Ok && verified.AnchoredByCheckpoint is not null, verified.ToString());
            Assert.False(File.Exists(Path.Combine(copy, "audit.000001.jsonl")), "retention removed no segment");
            Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
            Assert.True(report["verified"]!.GetValue<bool>());
            Assert.Equal(verified.FirstSeq, report["verification"]!["first_seq"]!.GetValue<long>());
            Assert.True(verified.FirstSeq > 1);
            Assert.Equal(verified.AnchoredByCheckpoint, report["verification"]!["anchored_by_checkpoint"]!.GetValue<long>());
            Assert.Equal(verified.LastHash, report["chain_head"]!.GetValue<string>());
            var kept = Directory.GetFiles(copy, "audit*.jsonl").Where(f => !Path.GetFileName(f).StartsWith("audit.state", StringComparison.Ordinal))
                .SelectMany(File.ReadLines).Count(l => JsonNode.Parse(l)!["type"]!.GetValue<string>() == "decision");
            var decisions = report["totals"]!["decisions"]!;
            Assert.Equal(kept, decisions["allow"]!.GetValue<int>() + decisions["deny"]!.GetValue<int>() + decisions["require_human"]!.GetValue<int>());
            Assert.Equal(1, report["unattributed_review_records"]!.GetValue<int>());
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    /// <summary>A copy of the scenario's trail directory (segments, checkpoint, state) to change.</summary>
    private string CopyTrail(string what)
    {
        var copy = Directory.CreateTempSubdirectory($"pdp-evidence-{what}-").FullName;
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(scenario.TrailPath)!))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        return copy;
    }

    /// <summary>Runs the report as JSON to a file and reads it back.</summary>
    internal static (CliResult Result, JsonObject Report) Report(string trail, string[] options)
    {
        var output = Path.Combine(Path.GetTempPath(), $"pdp-report-{Guid.NewGuid():N}.json");
        try
        {
            var result = Cli.Run(["report", trail, .. options, "--format", "json", "--output", output]);
            Assert.True(File.Exists(output), result.ToString());
            return (result, JsonNode.Parse(File.ReadAllText(output))!.AsObject());
        }
        finally
        {
            File.Delete(output);
        }
    }

    /// <summary>--from/--to for the whole scenario, or one phase of it.</summary>
    internal string[] Period(string phase) => phase switch
    {
        "1" => ["--from", Iso(scenario.Start), "--to", Iso(scenario.Cut)],
        "2" => ["--from", Iso(scenario.Cut), "--to", Iso(scenario.End)],
        _ => ["--from", Iso(scenario.Start), "--to", Iso(scenario.End)],
    };

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private void AssertGroups(JsonObject report, string array, string key, IEnumerable<string> names, Func<string, Func<EvidenceDomain, bool>> matches, int[] phases)
    {
        var groups = report[array]!.AsArray();
        Assert.Equal(names.Distinct().Order(StringComparer.Ordinal), groups.Select(g => g![key]!.GetValue<string>()));
        foreach (var group in groups)
        {
            var name = group![key]!.GetValue<string>();
            ExpectedFigures.AssertEqual(ExpectedFigures.Of(scenario.Log, matches(name), phases), group, $"{array}: {name}");
        }
    }
}
