using Xunit;

namespace Pdp.Cli.Tests;

public sealed class TestCommandTests
{
    private const string DisableInput = """{ "action": { "type": "iam.account.disable" } }""";

    [Fact]
    public void Test_AllCasesPass_PrintsPassLinesAndSummaryAndExitsZero()
    {
        using var dir = TempPolicyDir.With("good");

        var result = Cli.Run("test", dir.Path);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["PASS allow.test.json:3 disabling an account is allowed", "1 passed, 0 failed"], result.OutLines);
    }

    [Fact]
    public void Test_FailingCase_PrintsFailLineWithReasonsAndExitsOne()
    {
        using var dir = TempPolicyDir.With("good");
        dir.Write("wrong.test.json", Scenarios.TestFile("disabling is denied", DisableInput, """{ "verdict": "deny", "control_owner": "someone-else" }"""));

        var result = Cli.Run("test", dir.Path);

        Assert.True(result.ExitCode == 1, result.ToString());
        var lines = result.OutLines;
        var fail = Array.IndexOf(lines, "FAIL wrong.test.json:3 disabling is denied");
        Assert.True(fail >= 0, result.ToString());
        Assert.StartsWith("    verdict: expected deny, got allow", lines[fail + 1], StringComparison.Ordinal);
        Assert.Equal("    control_owner: expected someone-else, got iam-team", lines[fail + 2]);
        Assert.Contains("PASS allow.test.json:3 disabling an account is allowed", lines);
        Assert.Equal("1 passed, 1 failed", lines[^1]);
        Assert.DoesNotContain("decision:", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Test_OnlyCaseFails_SummaryCountsIt()
    {
        using var dir = TempPolicyDir.With("good");
        dir.Write(Scenarios.GoodTestFile, Scenarios.TestFile("disabling is denied", DisableInput, """{ "verdict": "deny" }"""));

        var result = Cli.Run("test", dir.Path);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("0 passed, 1 failed", result.OutLines[^1]);
    }

    [Fact]
    public void Test_VerboseFailure_PrintsTheDecision()
    {
        using var dir = TempPolicyDir.With("good");
        dir.Write(Scenarios.GoodTestFile, Scenarios.TestFile("disabling is denied", DisableInput, """{ "verdict": "deny" }"""));

        var result = Cli.Run("test", dir.Path, "--verbose");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("    decision:", result.OutLines);
        Assert.Contains("          \"verdict\": \"allow\",", result.OutLines);
        Assert.Contains(result.OutLines, l => l.Contains("\"id\": \"iam-allow\"", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("second", 0, new[] { "second case" })]
    [InlineData("SECOND", 0, new[] { "second case" })]
    [InlineData("other.test", 0, new[] { "second case" })]
    [InlineData("case", 0, new[] { "first case", "second case" })]
    [InlineData("nothing-matches", 1, new string[0])]
    public void Test_Filter_RunsOnlyMatchingCases(string filter, int exitCode, string[] names)
    {
        using var dir = new TempPolicyDir();
        dir.Write("allow.js", Scenarios.Module("iam-allow", Scenarios.Returns("allow", "ok")));
        dir.Write("allow.test.json", Scenarios.TestFile("first case", DisableInput, """{ "verdict": "allow" }"""));
        dir.Write("other.test.json", Scenarios.TestFile("second case", DisableInput, """{ "verdict": "allow" }"""));

        var result = Cli.Run("test", dir.Path, "--filter", filter);

        Assert.True(result.ExitCode == exitCode, result.ToString());
        var ran = result.OutLines.Where(l => l.StartsWith("PASS ", StringComparison.Ordinal)).Select(l => l[(l.IndexOf(' ', 5) + 1)..]);
        Assert.Equal(names, ran);
        Assert.Equal($"{names.Length} passed, 0 failed", result.OutLines[^1]);
    }

    [Theory]
    [InlineData("{\n  \"cases\": [\n", "bad.test.json:3:")]
    [InlineData("{\n  \"cases\": [\n    { \"name\": \"x\", \"input\": {}, \"expect\": { \"verdict\": \"maybe\" } }\n  ]\n}", "bad.test.json:3:1: case 1: expect.verdict")]
    public void Test_BrokenTestFile_ReportsItCountsItFailedAndExitsOne(string content, string expected)
    {
        using var dir = TempPolicyDir.With("good");
        dir.Write("bad.test.json", content);

        var result = Cli.Run("test", dir.Path);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.StartsWith(expected, result.OutLines[0], StringComparison.Ordinal);
        Assert.Contains("PASS allow.test.json:3 disabling an account is allowed", result.OutLines);
        Assert.Equal("1 passed, 1 failed", result.OutLines[^1]);
    }

    [Theory]
    [MemberData(nameof(Scenarios.Broken), MemberType = typeof(Scenarios))]
    public void Test_BrokenDirectory_ExitsTwoWithoutRunningCases(string scenario, string expected)
    {
        using var dir = TempPolicyDir.With(scenario);

        var result = Cli.Run("test", dir.Path);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(result.OutLines, line => line.StartsWith(expected, StringComparison.Ordinal));
        Assert.DoesNotContain(result.OutLines, line => line.StartsWith("PASS", StringComparison.Ordinal));
        Assert.Contains("could not be loaded", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Test_NoTestFiles_ExitsOne()
    {
        using var dir = new TempPolicyDir();
        dir.Write("allow.js", Scenarios.Module("iam-allow", Scenarios.Returns("allow", "ok")));

        var result = Cli.Run("test", dir.Path);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["0 passed, 0 failed"], result.OutLines);
        Assert.Contains("no test cases found", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Test_CaseData_ReplacesDocumentsForThatCaseOnly()
    {
        using var dir = new TempPolicyDir();
        dir.Write("groups.js", Scenarios.Module("groups", "return { verdict: data.groups.g.length > 0 ? \"allow\" : \"deny\", reason: \"g\" };"));
        dir.Write("data/groups.json", """{ "g": ["alice"] }""");
        dir.Write("groups.test.json", """
            {
              "cases": [
                { "name": "shipped data allows", "input": { "action": { "type": "iam.role.grant" } }, "expect": { "verdict": "allow" } },
                { "name": "empty group denies", "input": { "action": { "type": "iam.role.grant" } }, "data": { "groups": { "g": [] } }, "expect": { "verdict": "deny" } }
              ]
            }
            """);

        var result = Cli.Run("test", dir.Path);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("2 passed, 0 failed", result.OutLines[^1]);
    }

    [Fact]
    public void Test_PolicySlowerThanTheTimeout_FailsWithoutRetrying()
    {
        using var dir = new TempPolicyDir();
        dir.Write("slow.js", Scenarios.Module("slow", EvalCommandTests.SlowBody));
        dir.Write("slow.test.json", Scenarios.TestFile("slow policy allows", DisableInput, """{ "verdict": "allow" }"""));

        var result = Cli.Run("test", dir.Path, "--timeout-ms", "1", "--max-statements", "100000000");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal("FAIL slow.test.json:3 slow policy allows", result.OutLines[0]);
        Assert.Contains("verdict: expected allow, got deny", result.OutLines[1], StringComparison.Ordinal);
        Assert.Equal("0 passed, 1 failed", result.OutLines[^1]);
        Assert.Empty(result.Error);
    }

    [Fact]
    public void Test_MissingDirectory_ExitsTwo()
    {
        using var dir = new TempPolicyDir();

        var result = Cli.Run("test", Path.Combine(dir.Path, "nope"));

        Assert.Equal(2, result.ExitCode);
        Assert.Empty(result.Out);
    }
}
