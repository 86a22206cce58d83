using System.Text.Json.Nodes;
using Pdp.Audit;
using Pdp.Evaluation.Results;
using Xunit;

namespace Pdp.Cli.Tests;

/// <summary>
/// <c>pdp replay</c> on a trail recorded against <see cref="ReplayScenario.PolicySetA"/>, replayed against
/// <see cref="ReplayScenario.PolicySetB"/>. Every expected figure is counted from <see cref="ReplayScenario.Cases"/>,
/// whose verdicts, human outcomes and effects are written by hand per case.
/// </summary>
public sealed class ReplayCommandTests : IDisposable
{
    private static readonly Verdict[] Verdicts = [Verdict.Allow, Verdict.RequireHuman, Verdict.Deny];
    private readonly TempPolicyDir _a = new TempPolicyDir().Write(ReplayScenario.PolicySetA());
    private readonly TempPolicyDir _b = new TempPolicyDir().Write(ReplayScenario.PolicySetB());
    private readonly TempPolicyDir _trails = new();
    private readonly IReadOnlyList<ReplayCase> _cases = ReplayScenario.Cases();

    private string Trail => Path.Combine(_trails.Path, "audit.jsonl");

    [Theory]
    [InlineData(64L * 1024 * 1024)]
    [InlineData(AuditTrailOptions.MinFileBytes)]
    public async Task Replay_RecordedTrail_ShowsTheFlippedDecisionsAndOverrideCountsExactly(long maxFileBytes)
    {
        var ids = await ReplayScenario.RecordAsync(Trail, _a.Path, _cases, maxFileBytes);

        var result = Cli.Run("replay", _b.Path, "--audit", Trail, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json;
        if (maxFileBytes == AuditTrailOptions.MinFileBytes)
        {
            Assert.True((int)json["trail"]!["files"]! > 1, "the small file size should have rotated the trail");
        }

        var changed = _cases.Count(c => c.Changed);
        Assert.Equal(_cases.Count, (int)json["decisions"]!["replayed"]!);
        Assert.Equal(_cases.Count - changed, (int)json["decisions"]!["unchanged"]!);
        Assert.Equal(changed, (int)json["decisions"]!["changed"]!);
        AssertMatrix(_cases, json["transitions"]!);

        var byPolicy = json["by_policy"]!.AsObject();
        Assert.Equal(_cases.Select(c => c.Policy).Distinct().Order(StringComparer.Ordinal), byPolicy.Select(p => p.Key));
        foreach (var policy in _cases.GroupBy(c => c.Policy))
        {
            Assert.Equal(policy.Count(), (int)byPolicy[policy.Key]!["replayed"]!);
            Assert.Equal(policy.Count(c => c.Changed), (int)byPolicy[policy.Key]!["changed"]!);
            AssertMatrix(policy.ToArray(), byPolicy[policy.Key]!["transitions"]!);
        }

        var overrides = json["overrides"]!;
        Assert.Equal(_cases.Count(c => c.Human is "rejected" or "modified" or "reversed"), (int)overrides["overridden"]!);
        Assert.Equal(Count(Effect.OverridePrevented), (int)overrides["prevented"]!);
        Assert.Equal(Count(Effect.ApprovedNowDenied), (int)overrides["caused"]!["approved_now_denied"]!);
        Assert.Equal(Count(Effect.RejectedNowAllowed), (int)overrides["caused"]!["rejected_now_allowed"]!);
        Assert.Equal(Count(Effect.ApprovedNowDenied) + Count(Effect.RejectedNowAllowed), (int)overrides["caused"]!["total"]!);
        Assert.Equal(Count(Effect.ReviewAdded), (int)json["reviews"]!["added"]!);
        Assert.Equal(Count(Effect.ReviewRemoved), (int)json["reviews"]!["removed"]!);
        foreach (var outcome in new[] { "approved", "rejected", "modified", "reversed", "expired", "none" })
        {
            Assert.Equal(_cases.Count(c => c.Human == outcome), (int)json["human_outcomes"]![outcome]!);
        }

        // Every changed decision, in trail order, and only those.
        var expected = _cases.Select((c, i) => (Case: c, Id: ids[i])).Where(x => x.Case.Changed).ToArray();
        var listed = json["changed_decisions"]!.AsArray().Select(d => d!.AsObject()).ToArray();
        Assert.Equal(expected.Select(x => x.Id), listed.Select(d => (string?)d["decision_id"]));
        foreach (var (c, d) in expected.Select(x => x.Case).Zip(listed))
        {
            Assert.Equal(c.Recorded.ToText(), (string?)d["recorded"]);
            Assert.Equal(c.Candidate.ToText(), (string?)d["candidate"]);
            Assert.Equal(c.Human, (string?)d["human_outcome"]);
            Assert.Equal((string?)c.Request["action"]!["type"], (string?)d["action_type"]);
            Assert.Equal(EffectNames(c.Effects), d["effects"]!.AsArray().Select(e => (string?)e));
            Assert.False(string.IsNullOrEmpty((string?)d["reason"]), c.Name);
        }

        Assert.Equal(0, (int)json["candidate_policy_errors"]!);
        Assert.Equal(0, (int)json["unmatched_human_records"]!);
    }

    [Fact]
    public async Task Replay_DecisionThatFallsToTheDefault_IsReportedUnderTheRecordedPolicy()
    {
        var ids = await ReplayScenario.RecordAsync(Trail, _a.Path, _cases);

        var result = Cli.Run("replay", _b.Path, "--audit", Trail, "--json");

        // B has no host-containment policy: its host.isolate decisions fall to the default deny.
        var listed = result.Json["changed_decisions"]!.AsArray().ToDictionary(d => (string)d!["decision_id"]!, d => d!.AsObject());
        var hosts = _cases.Select((c, i) => (Case: c, Id: ids[i])).Where(x => x.Case.Policy == "host-containment").ToArray();
        Assert.NotEmpty(hosts);
        Assert.All(hosts, x =>
        {
            Assert.Equal("default", (string?)listed[x.Id]["candidate_policy"]);
            Assert.Equal("host-containment", (string?)listed[x.Id]["recorded_policy"]);
        });
        Assert.Contains("recorded deciding_policy", (string?)result.Json["by_policy_basis"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_AgainstTheSamePolicies_ReportsNoChange()
    {
        await ReplayScenario.RecordAsync(Trail, _a.Path, _cases);

        var json = Cli.Run("replay", _a.Path, "--audit", Trail, "--json");
        var table = Cli.Run("replay", _a.Path, "--audit", Trail);

        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal(_cases.Count, (int)json.Json["decisions"]!["unchanged"]!);
        Assert.Equal(0, (int)json.Json["decisions"]!["changed"]!);
        AssertMatrix(_cases.Select(c => c with { Candidate = c.Recorded }).ToArray(), json.Json["transitions"]!);
        Assert.Equal(0, (int)json.Json["overrides"]!["prevented"]!);
        Assert.Equal(0, (int)json.Json["overrides"]!["caused"]!["total"]!);
        Assert.Equal(0, (int)json.Json["reviews"]!["added"]!);
        Assert.Equal(0, (int)json.Json["reviews"]!["removed"]!);
        Assert.Empty(json.Json["changed_decisions"]!.AsArray());

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains($"decisions: {_cases.Count} replayed, {_cases.Count} unchanged, 0 changed", table.OutLines);
        Assert.Contains("changed decisions: none", table.OutLines);
    }

    [Fact]
    public async Task Replay_Table_ShowsTheFiguresAndListsTheChangedDecisions()
    {
        var ids = await ReplayScenario.RecordAsync(Trail, _a.Path, _cases);

        var result = Cli.Run("replay", _b.Path, "--audit", Trail);

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.OutLines;
        var changed = _cases.Count(c => c.Changed);
        Assert.Contains($"decisions: {_cases.Count} replayed, {_cases.Count - changed} unchanged, {changed} changed", lines);
        Assert.Contains(lines, l => l.StartsWith("by policy (by the candidate's deciding policy; where the candidate falls to the default verdict, by the recorded deciding_policy)", StringComparison.Ordinal));
        AssertFigure(lines, "overrides prevented", Count(Effect.OverridePrevented));
        AssertFigure(lines, "overrides caused", Count(Effect.ApprovedNowDenied) + Count(Effect.RejectedNowAllowed));
        AssertFigure(lines, "reviews added", Count(Effect.ReviewAdded));
        AssertFigure(lines, "reviews removed", Count(Effect.ReviewRemoved));
        Assert.Contains(lines, l => l.Contains($"approved now denied {Count(Effect.ApprovedNowDenied)} + rejected now allowed {Count(Effect.RejectedNowAllowed)}", StringComparison.Ordinal));
        Assert.Contains($"changed decisions ({changed}):", lines);
        for (var i = 0; i < _cases.Count; i++)
        {
            var row = lines.Where(l => l.Contains(ids[i], StringComparison.Ordinal)).ToArray();
            if (_cases[i].Changed)
            {
                var line = Assert.Single(row);
                Assert.Contains($"{_cases[i].Recorded.ToText()} -> {_cases[i].Candidate.ToText()}", line, StringComparison.Ordinal);
            }
            else
            {
                Assert.Empty(row);
            }
        }
    }

    [Fact]
    public async Task Replay_Limit_CapsTheTableButNotTheJson()
    {
        var ids = await ReplayScenario.RecordAsync(Trail, _a.Path, _cases);
        var changedIds = _cases.Select((c, i) => (c, ids[i])).Where(x => x.c.Changed).Select(x => x.Item2).ToArray();
        const int limit = 3;

        var table = Cli.Run("replay", _b.Path, "--audit", Trail, "--limit", limit.ToString());
        var json = Cli.Run("replay", _b.Path, "--audit", Trail, "--limit", limit.ToString(), "--json");

        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains(table.OutLines, l => l.StartsWith($"changed decisions ({changedIds.Length}, first {limit};", StringComparison.Ordinal));
        Assert.Equal(changedIds.Take(limit), changedIds.Where(id => table.Out.Contains(id, StringComparison.Ordinal)));
        Assert.Equal(changedIds.Length, json.Json["changed_decisions"]!.AsArray().Count);
    }

    [Fact]
    public async Task Replay_TamperedTrail_ExitsTwoNamingTheLine()
    {
        await ReplayScenario.RecordAsync(Trail, _a.Path, _cases);
        var lines = File.ReadAllLines(Trail);

        // Line 1 is the policy load; line 2 the first decision, which A allowed. Make the record say deny.
        const int edited = 2;
        Assert.Contains("\"VERDICT_ALLOW\"", lines[edited - 1], StringComparison.Ordinal);
        lines[edited - 1] = lines[edited - 1].Replace("\"VERDICT_ALLOW\"", "\"VERDICT_DENY\"", StringComparison.Ordinal);
        File.WriteAllText(Trail, string.Join("\n", lines) + "\n");

        var result = Cli.Run("replay", _b.Path, "--audit", Trail);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Empty(result.Out);
        Assert.Equal($"{Trail}:{edited}: seq {edited}: hash mismatch: record was edited", result.ErrorLines[0]);
        Assert.Contains("does not verify", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_RecordNotInTheServersFormat_ExitsTwoNamingItsSeq()
    {
        await using (var trail = await AuditTrail.OpenAsync(new AuditTrailOptions { Path = Trail }))
        {
            await trail.AppendAsync("decision", new JsonObject { ["decision_id"] = "d-1", ["response"] = new JsonObject { ["verdict"] = "VERDICT_ALLOW" } });
        }

        var result = Cli.Run("replay", _b.Path, "--audit", Trail);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("seq 1: decision record has no \"input\" object", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_MissingTrail_ExitsTwo()
    {
        var result = Cli.Run("replay", _b.Path, "--audit", Trail);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Empty(result.Out);
        Assert.Contains("cannot read audit trail", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Scenarios.Broken), MemberType = typeof(Scenarios))]
    public async Task Replay_BrokenPolicyDirectory_ExitsTwo(string scenario, string expected)
    {
        await ReplayScenario.RecordAsync(Trail, _a.Path, _cases);
        using var broken = TempPolicyDir.With(scenario);

        var result = Cli.Run("replay", broken.Path, "--audit", Trail);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Empty(result.Out);
        Assert.Contains(result.ErrorLines, line => line.StartsWith(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--limit", "-1")]
    [InlineData("--limit", "many")]
    public void Replay_BadLimit_ExitsTwo(string option, string value)
    {
        var result = Cli.Run("replay", _b.Path, "--audit", Trail, option, value);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Empty(result.Out);
    }

    [Fact]
    public void Replay_WithoutAudit_ExitsTwo()
    {
        var result = Cli.Run("replay", _b.Path);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--audit", result.Error, StringComparison.Ordinal);
        Assert.Contains("pdp replay --help", result.Error, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        _trails.Dispose();
    }

    private int Count(Effect effect) => _cases.Count(c => c.Effects.HasFlag(effect));

    private static void AssertMatrix(IReadOnlyCollection<ReplayCase> cases, JsonNode matrix)
    {
        foreach (var recorded in Verdicts)
        {
            foreach (var candidate in Verdicts)
            {
                Assert.True(
                    cases.Count(c => c.Recorded == recorded && c.Candidate == candidate) == (int)matrix[recorded.ToText()]![candidate.ToText()]!,
                    $"{recorded.ToText()} -> {candidate.ToText()}: {matrix.ToJsonString()}");
            }
        }
    }

    private static void AssertFigure(string[] lines, string figure, int expected) =>
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, $@"^\s+{figure}\s+{expected}\s"));

    private static IEnumerable<string> EffectNames(Effect effects)
    {
        if (effects.HasFlag(Effect.OverridePrevented))
        {
            yield return "override_prevented";
        }

        if (effects.HasFlag(Effect.ApprovedNowDenied) || effects.HasFlag(Effect.RejectedNowAllowed))
        {
            yield return "override_caused";
        }

        if (effects.HasFlag(Effect.ReviewAdded))
        {
            yield return "review_added";
        }

        if (effects.HasFlag(Effect.ReviewRemoved))
        {
            yield return "review_removed";
        }
    }
}
