using Pdp.Policies.Loading;
using Pdp.Policies.Model;
using Pdp.Policies.Sandbox;
using Xunit;

namespace Pdp.Policies.Tests.Loading;

public sealed class PolicySetLoaderTests
{
    private const string Good = """
        export const policy = { id: "good", owner: "team-a", approver_group: "g", escalation_group: "leads", applies_to: ["iam.*"], frameworks: ["NIST-AI-RMF:GOVERN-1.1"] };
        export function decide(input, data) { return { verdict: "allow", reason: "ok" }; }
        """;

    private static (PolicySet? Set, IReadOnlyList<PolicyProblem> Problems) Load(string data = "{}", params (string File, string Source)[] files) =>
        new PolicySetLoader(new SandboxOptions()).TryLoad(new PolicySourceSnapshot(
            "inline",
            files.Select(f => new SourceFile(f.File, f.Source)).ToArray(),
            [new SourceFile("data/groups.json", data)],
            [],
            []));

    [Fact]
    public void TryLoad_ValidPolicy_ReadsMetadataAndHashesRevision()
    {
        var (set, problems) = Load(files: ("good.js", Good));

        Assert.Empty(problems);
        var policy = Assert.Single(set!.Policies);
        Assert.Equal("good", policy.Id);
        Assert.Equal("team-a", policy.Metadata.Owner);
        Assert.Equal("g", policy.Metadata.ApproverGroup);
        Assert.Equal("leads", policy.Metadata.EscalationGroup);
        Assert.Equal("iam.*", Assert.Single(policy.Metadata.AppliesTo).Text);
        Assert.Equal(["NIST-AI-RMF:GOVERN-1.1"], policy.Metadata.Frameworks);
        Assert.Matches("^sha256:[0-9a-f]{16}$", set.Revision);
        Assert.NotNull(set.Data["groups"]);
    }

    [Fact]
    public void TryLoad_ContentChanges_RevisionChanges()
    {
        var first = Load(files: ("good.js", Good)).Set!.Revision;
        var same = Load(files: ("good.js", Good)).Set!.Revision;
        var edited = Load(files: ("good.js", Good.Replace("\"ok\"", "\"fine\"", StringComparison.Ordinal))).Set!.Revision;
        var dataEdited = Load(data: "{\"g\": []}", files: ("good.js", Good)).Set!.Revision;

        Assert.Equal(first, same);
        Assert.NotEqual(first, edited);
        Assert.NotEqual(first, dataEdited);
    }

    [Theory]
    [InlineData("export const policy = {;", 1, "syntax error")]
    [InlineData("export const policy = { id: 'x', applies_to: ['*'] };\nexport function decide() {}", 1, "policy.owner is required")]
    [InlineData("export const policy = { id: 'x', owner: 'o', applies_to: [] };\nexport function decide() {}", 1, "applies_to must be a non-empty array")]
    [InlineData("export const policy = { id: 'x', owner: 'o', applies_to: ['iam*x'] };\nexport function decide() {}", 1, "is not an action pattern")]
    [InlineData("export const policy = { id: 'X Y', owner: 'o', applies_to: ['*'] };\nexport function decide() {}", 1, "policy.id")]
    [InlineData("export const policy = { id: 'x', owner: 'o', applies_to: ['*'], ownr: 'typo' };\nexport function decide() {}", 1, "unknown key 'ownr'")]
    [InlineData("export const policy = { id: 'x', owner: 'o', applies_to: ['*'], escalation_group: '' };\nexport function decide() {}", 1, "policy.escalation_group must be a non-empty string")]
    [InlineData("export const policy = { id: 'x', owner: 'o', applies_to: ['*'] };\nexport const decide = 3;", 2, "must export a function 'decide")]
    [InlineData("// header\nexport function decide() {}", 1, "must export 'policy'")]
    [InlineData("export const policy = { id: 'x', owner: 'o', applies_to: ['*'] };\nconst boom = (() => { throw new Error('at load'); })();\nexport function decide() {}", 2, "module failed to load")]
    [InlineData("export const policy = { id: 'x', owner: 'o', applies_to: ['*'] };\nlet counter = 0;\nexport function decide() { counter++; }", 2, "'let'")]
    [InlineData("import { x } from './other.js';\nexport const policy = { id: 'x', owner: 'o', applies_to: ['*'] };\nexport function decide() {}", 1, "policies may import only helper modules directly in lib/")]
    [InlineData("export const policy = { id: 'x', owner: 'o', applies_to: ['*'] };\nconst __pdp_bindings = 1;\nexport function decide() {}", 0, "reserved")]
    public void TryLoad_BrokenPolicy_ReportsFileLineAndProblem(string source, int line, string message)
    {
        var (set, problems) = Load(files: ("broken.js", source));

        Assert.Null(set);
        var problem = Assert.Single(problems, p => p.Message.Contains(message, StringComparison.Ordinal));
        Assert.Equal("broken.js", problem.File);
        Assert.Equal(line, problem.Line);
        Assert.StartsWith(line > 0 ? $"broken.js:{line}:" : "broken.js: ", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TryLoad_ModuleLoopsAtTopLevel_RefusedWithinSandboxLimits()
    {
        var source = "export const policy = { id: 'x', owner: 'o', applies_to: ['*'] };\nconst spin = (() => { for (;;) {} })();\nexport function decide() {}";

        var (set, problems) = Load(files: ("spin.js", source));

        Assert.Null(set);
        Assert.Contains(problems, p => p.File == "spin.js" && p.Message.Contains("sandbox limits", StringComparison.Ordinal));
    }

    [Fact]
    public void TryLoad_DuplicateIds_NamesBothFiles()
    {
        var (set, problems) = Load(files: [("a.js", Good), ("b.js", Good)]);

        Assert.Null(set);
        var problem = Assert.Single(problems);
        Assert.Contains("a.js", problem.Message, StringComparison.Ordinal);
        Assert.Contains("b.js", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryLoad_InvalidDataJson_ReportsDataFileAndLine()
    {
        var (set, problems) = Load(data: "{\n  \"a\": [1, 2,\n  oops\n}", files: ("good.js", Good));

        Assert.Null(set);
        var problem = Assert.Single(problems);
        Assert.Equal("data/groups.json", problem.File);
        Assert.Equal(3, problem.Line);
        Assert.Contains("not valid JSON", problem.Message, StringComparison.Ordinal);
        Assert.StartsWith("data/groups.json:3:", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TryLoad_DataWithDuplicateKey_RefusedNotLeftToTheParser()
    {
        var (set, problems) = Load(data: "{\n  \"g\": [\"a\"],\n  \"g\": [\"b\"]\n}", files: ("good.js", Good));

        Assert.Null(set);
        var problem = Assert.Single(problems);
        Assert.Equal("data/groups.json", problem.File);
        Assert.Equal(3, problem.Line);
    }

    [Fact]
    public void TryLoad_SeveralBrokenFiles_ReportsEveryProblem()
    {
        var (set, problems) = Load(files: [("a.js", "export const policy = {;"), ("b.js", "export const policy = { id: 'b', applies_to: ['*'] };\nexport function decide() {}"), ("c.js", Good)]);

        Assert.Null(set);
        Assert.Contains(problems, p => p.File == "a.js");
        Assert.Contains(problems, p => p.File == "b.js");
        Assert.DoesNotContain(problems, p => p.File == "c.js");
    }

    [Fact]
    public void Read_Directory_ReadsPoliciesDataAndTestsAndBoundsSizes()
    {
        var dir = Directory.CreateTempSubdirectory("pdp-source-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "data"));
            File.WriteAllText(Path.Combine(dir, "good.js"), Good);
            File.WriteAllText(Path.Combine(dir, "good.test.json"), "{\"cases\": []}");
            File.WriteAllText(Path.Combine(dir, "data", "groups.json"), "{}");
            File.WriteAllText(Path.Combine(dir, "huge.js"), new string('/', DirectoryPolicySource.MaxPolicyFileBytes + 1));

            var snapshot = new DirectoryPolicySource(dir).Read();

            Assert.Equal(["good.js"], snapshot.Policies.Select(f => f.Path));
            Assert.Equal(["good.test.json"], snapshot.TestFiles.Select(f => f.Path));
            Assert.Equal(["data/groups.json"], snapshot.DataFiles.Select(f => f.Path));
            Assert.Contains(snapshot.Problems, p => p.File == "huge.js" && p.Message.Contains("limit", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("iam.account.disable", true)]
    [InlineData("a", true)]
    [InlineData("a1.b_c.d-e", true)]
    [InlineData("", false)]
    [InlineData("IAM.x", false)]
    [InlineData("iam..x", false)]
    [InlineData(".iam", false)]
    [InlineData("iam.", false)]
    [InlineData("iam._x", false)]
    [InlineData("iam x", false)]
    public void IsValid_ActionTypes_AcceptsOnlyDottedLowercase(string type, bool valid) => Assert.Equal(valid, ActionType.IsValid(type));

    [Theory]
    [InlineData(0, 50_000, 1024 * 1024, 64, "TimeoutMilliseconds")]
    [InlineData(50, 0, 1024 * 1024, 64, "MaxStatements")]
    [InlineData(50, -5, 1024 * 1024, 64, "MaxStatements")]
    [InlineData(50, 50_000, 0, 64, "MemoryLimitBytes")]
    [InlineData(50, 50_000, 1024 * 1024, 0, "MaxRecursionDepth")]
    [InlineData(50, 50_000, 1024 * 1024, -1, "MaxRecursionDepth")]
    public void Validate_ZeroOrNegativeLimit_Refused(int timeout, int statements, long memory, int recursion, string named)
    {
        var options = new SandboxOptions { TimeoutMilliseconds = timeout, MaxStatements = statements, MemoryLimitBytes = memory, MaxRecursionDepth = recursion };

        Assert.Contains(options.Validate(), p => p.Contains(named, StringComparison.Ordinal));
    }
}
