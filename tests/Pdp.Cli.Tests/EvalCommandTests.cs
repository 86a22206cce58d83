using System.Text.Json.Nodes;
using Xunit;

namespace Pdp.Cli.Tests;

public sealed class EvalCommandTests
{
    /// <summary>A loop far longer than a millisecond, well inside a generous statement limit.</summary>
    public const string SlowBody = "let n = 0; for (let i = 0; i < 50000000; i++) { n = n + i; } return { verdict: \"allow\", reason: String(n) };";

    private const string DisableInput = """{ "agent": { "id": "bot" }, "action": { "type": "iam.account.disable" } }""";

    [Theory]
    [InlineData("allow")]
    [InlineData("deny")]
    [InlineData("require_human")]
    public void Eval_PolicyVerdict_PrintsDecisionJsonAndExitsZero(string verdict)
    {
        using var dir = new TempPolicyDir();
        dir.Write("p.js", Scenarios.Module("p", $$"""return { verdict: "{{verdict}}", reason: "said {{verdict}}", obligations: { notify: "soc" } };"""));
        var input = dir.Write("input.json", DisableInput);

        var result = Cli.Run("eval", dir.Path, "--input", input);

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json;
        Assert.Equal(verdict, (string?)json["verdict"]);
        var reason = Assert.Single(json["reasons"]!.AsArray());
        Assert.Equal("p", (string?)reason!["policy_id"]);
        Assert.Equal($"said {verdict}", (string?)reason["message"]);
        Assert.Equal("iam-team", (string?)json["control_owner"]);
        Assert.Matches("^sha256:[0-9a-f]{16}$", (string?)json["policy_revision"]);
        Assert.False(json.ContainsKey("policies"));
        var review = verdict == "require_human";
        Assert.Equal(review, json.ContainsKey("approver_group"));
        Assert.Equal(review, json.ContainsKey("review_ttl_seconds"));
        Assert.Equal(review, json.ContainsKey("min_approvals"));
        if (review)
        {
            Assert.Equal("g", (string?)json["approver_group"]);
            Assert.Equal(3600, (long?)json["review_ttl_seconds"]);
            Assert.Equal(1, (int?)json["min_approvals"]);
        }

        // A deny carries no obligations; what lets the action through does.
        Assert.Equal(verdict == "deny" ? 0 : 1, json["obligations"]!.AsObject().Count);
    }

    [Fact]
    public void Eval_PolicyThrowsAtEvaluation_ExitsZeroAndDeniesNamingThePolicy()
    {
        using var dir = new TempPolicyDir();
        dir.Write("allow.js", Scenarios.Module("allow", Scenarios.Returns("allow", "fine")));
        dir.Write("thrower.js", Scenarios.Module("thrower", "throw new Error(\"kaboom\");", owner: "owner: \"thrower-team\", "));
        var input = dir.Write("input.json", DisableInput);

        var result = Cli.Run("eval", dir.Path, "--input", input, "--explain");

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json;
        Assert.Equal("deny", (string?)json["verdict"]);
        Assert.Equal("thrower-team", (string?)json["control_owner"]);
        var reason = Assert.Single(json["reasons"]!.AsArray());
        Assert.Equal("thrower", (string?)reason!["policy_id"]);
        Assert.Contains("kaboom", (string?)reason["message"], StringComparison.Ordinal);
        var thrower = json["policies"]!.AsArray().Single(p => (string?)p!["id"] == "thrower")!;
        Assert.Equal("exception", (string?)thrower["error"]);
        Assert.Equal("deny", (string?)thrower["verdict"]);
    }

    [Fact]
    public void Eval_Explain_ListsEachConsultedPolicyInIdOrder()
    {
        using var dir = new TempPolicyDir();
        dir.Write("guard.js", Scenarios.Module("a-guard", "return undefined;", appliesTo: "[\"*\"]"));
        dir.Write("iam.js", Scenarios.Module("b-iam", Scenarios.Returns("allow", "iam says yes")));
        dir.Write("secrets.js", Scenarios.Module("c-secrets", Scenarios.Returns("deny", "never"), appliesTo: "[\"secrets.*\"]"));
        var input = dir.Write("input.json", DisableInput);

        var result = Cli.Run("eval", dir.Path, "--input", input, "--explain");

        Assert.True(result.ExitCode == 0, result.ToString());
        var policies = result.Json["policies"]!.AsArray().Select(p => p!.AsObject()).ToArray();
        Assert.Equal(["a-guard", "b-iam"], policies.Select(p => (string?)p["id"]));
        Assert.Equal("not_applicable", (string?)policies[0]["verdict"]);
        Assert.Equal("allow", (string?)policies[1]["verdict"]);
        Assert.Equal("iam says yes", (string?)policies[1]["reason"]);
        Assert.All(policies, p => Assert.True((long?)p["elapsed_us"] >= 0));
        Assert.All(policies, p => Assert.False(p.ContainsKey("error")));
    }

    [Theory]
    [InlineData("--input", "-")]
    [InlineData(null, null)]
    public void Eval_InputFromStdin_IsEvaluated(string? option, string? value)
    {
        using var dir = TempPolicyDir.With("good");
        string[] args = option is null ? ["eval", dir.Path] : ["eval", dir.Path, option, value!];

        var result = Cli.RunWithStdin(DisableInput, args);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("allow", (string?)result.Json["verdict"]);
    }

    [Theory]
    [InlineData(""", "time": "2030-05-06T07:08:09Z" """, "2030-05-06T07:08:09.000Z")]
    [InlineData("", "2026-01-01T12:00:00.000Z")]
    public void Eval_TimeInInput_PinsTheClock(string time, string expected)
    {
        using var dir = new TempPolicyDir();
        dir.Write("clock.js", Scenarios.Module("clock", "return { verdict: \"allow\", reason: new Date(Date.now()).toISOString() };"));

        var result = Cli.RunWithStdin($$"""{ "action": { "type": "iam.account.disable" }{{time}} }""", "eval", dir.Path);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(expected, (string?)result.Json["reasons"]![0]!["message"]);
    }

    [Fact]
    public void Eval_DataFile_ReplacesWholeDocumentsAndMarksTheRevision()
    {
        using var dir = TempPolicyDir.With("good");
        dir.Write("data/paging.json", """{ "rotations": ["soc"] }""");
        dir.Write("allow.js", Scenarios.Module("iam-allow", "return { verdict: \"allow\", reason: Object.keys(data.groups).join(\",\") + \"|\" + data.paging.rotations.join(\",\") };"));
        var data = dir.Write("override.json", """{ "groups": { "h": [] } }""");

        var plain = Cli.RunWithStdin(DisableInput, "eval", dir.Path);
        var replaced = Cli.RunWithStdin(DisableInput, "eval", dir.Path, "--data", data);

        Assert.True(replaced.ExitCode == 0, replaced.ToString());
        Assert.Equal("g|soc", (string?)plain.Json["reasons"]![0]!["message"]);
        Assert.Equal("h|soc", (string?)replaced.Json["reasons"]![0]!["message"]);
        Assert.Equal((string?)plain.Json["policy_revision"] + "+data", (string?)replaced.Json["policy_revision"]);
    }

    [Fact]
    public void Eval_InvalidActionType_WarnsButStillDecides()
    {
        using var dir = TempPolicyDir.With("good");

        var result = Cli.RunWithStdin("""{ "action": { "type": "IAM.Disable" } }""", "eval", dir.Path);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("deny", (string?)result.Json["verdict"]);
        Assert.Equal("default", (string?)result.Json["reasons"]![0]!["policy_id"]);
        Assert.Contains("not a valid action type", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\n  \"action\": {\n    \"type\": \n}", "input.json:4:", "input is not valid JSON")]
    [InlineData("[1, 2]", "pdp: input", "must be a JSON object")]
    [InlineData("", "input.json:1:1:", "input is not valid JSON")]
    [InlineData("{ \"time\": \"yesterday\" }", "pdp: input.time", "date-time")]
    [InlineData("{ \"time\": 12 }", "pdp: input.time", "date-time")]
    [InlineData("{ \"a\": 1, \"a\": 2 }", "input.json:1:", "input is not valid JSON")]
    public void Eval_BrokenInput_ExitsTwoNamingTheProblem(string content, string location, string message)
    {
        using var dir = TempPolicyDir.With("good");
        var input = dir.Write("input.json", content);

        var result = Cli.Run("eval", dir.Path, "--input", input);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Empty(result.Out);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains(location, line, StringComparison.Ordinal);
        Assert.Contains(message, line, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_MissingInputFile_ExitsTwo()
    {
        using var dir = TempPolicyDir.With("good");

        var result = Cli.Run("eval", dir.Path, "--input", Path.Combine(dir.Path, "absent.json"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("cannot read input", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]", "must be a JSON object")]
    [InlineData("{ \"groups\": ", "data is not valid JSON")]
    public void Eval_BrokenDataFile_ExitsTwo(string content, string message)
    {
        using var dir = TempPolicyDir.With("good");
        var data = dir.Write("override.json", content);

        var result = Cli.RunWithStdin(DisableInput, "eval", dir.Path, "--data", data);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Scenarios.Broken), MemberType = typeof(Scenarios))]
    public void Eval_BrokenDirectory_ExitsTwoAndPrintsProblems(string scenario, string expected)
    {
        using var dir = TempPolicyDir.With(scenario);

        var result = Cli.RunWithStdin(DisableInput, "eval", dir.Path);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Empty(result.Out);
        Assert.Contains(result.ErrorLines, line => line.StartsWith(expected, StringComparison.Ordinal));
        Assert.Contains("could not be loaded", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_MissingDirectory_ExitsTwo()
    {
        using var dir = new TempPolicyDir();

        var result = Cli.RunWithStdin(DisableInput, "eval", Path.Combine(dir.Path, "nope"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("does not exist", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--timeout-ms", "0", "Sandbox:TimeoutMilliseconds")]
    [InlineData("--timeout-ms", "20000", "Sandbox:TimeoutMilliseconds")]
    [InlineData("--max-statements", "0", "Sandbox:MaxStatements")]
    [InlineData("--memory-bytes", "1024", "Sandbox:MemoryLimitBytes")]
    [InlineData("--max-recursion", "-1", "Sandbox:MaxRecursionDepth")]
    [InlineData("--max-recursion", "lots", "--max-recursion")]
    public void Eval_InvalidSandboxLimit_ExitsTwo(string option, string value, string expected)
    {
        using var dir = TempPolicyDir.With("good");

        var result = Cli.RunWithStdin(DisableInput, "eval", dir.Path, option, value);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Out);
    }

    [Fact]
    public void Eval_TightStatementLimit_FailsThePolicyClosed()
    {
        using var dir = new TempPolicyDir();
        dir.Write("loop.js", Scenarios.Module("loop", "let n = 0; for (let i = 0; i < 1000; i++) { n = n + i; } return { verdict: \"allow\", reason: String(n) };"));

        var generous = Cli.RunWithStdin(DisableInput, "eval", dir.Path, "--explain");
        var tight = Cli.RunWithStdin(DisableInput, "eval", dir.Path, "--explain", "--max-statements", "100");

        Assert.Equal("allow", (string?)generous.Json["verdict"]);
        Assert.Equal("499500", (string?)generous.Json["reasons"]![0]!["message"]);
        Assert.True(tight.ExitCode == 0, tight.ToString());
        Assert.Equal("deny", (string?)tight.Json["verdict"]);
        Assert.Equal("limit", (string?)tight.Json["policies"]![0]!["error"]);
    }

    [Fact]
    public void Eval_PolicySlowerThanTheTimeout_TimesOutOnceAndDeniesWithoutRetrying()
    {
        using var dir = new TempPolicyDir();
        dir.Write("slow.js", Scenarios.Module("slow", SlowBody));

        var result = Cli.RunWithStdin(DisableInput, "eval", dir.Path, "--explain", "--timeout-ms", "1", "--max-statements", "100000000");

        // The budget is CPU time, as in the server: the answer is the production answer, with no second try.
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("deny", (string?)result.Json["verdict"]);
        Assert.Equal("timeout", (string?)result.Json["policies"]![0]!["error"]);
        Assert.Empty(result.Error);
    }

    [Fact]
    public void Eval_NothingApplies_PrintsTheDefaultDeny()
    {
        using var dir = TempPolicyDir.With("good");

        var result = Cli.RunWithStdin("""{ "action": { "type": "secrets.read" } }""", "eval", dir.Path, "--explain");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("deny", (string?)result.Json["verdict"]);
        Assert.Equal("pdp-operators", (string?)result.Json["control_owner"]);
        Assert.Empty(result.Json["policies"]!.AsArray());
        Assert.IsType<JsonObject>(result.Json["obligations"]);
    }
}
